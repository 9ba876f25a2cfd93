package todo

import (
	"errors"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connectproto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
)

// BadRequest returns the google.rpc.BadRequest detail of err — which fields of the request were
// wrong, and why — or nil when err is not a *connect.Error carrying one. Every INVALID_ARGUMENT
// from a Todo server carries one, listing every violation at once.
func BadRequest(err error) *errdetails.BadRequest {
	var connectErr *connect.Error
	if !errors.As(err, &connectErr) {
		return nil
	}
	for _, detail := range connectErr.Details() {
		msg, decodeErr := connectproto.UnmarshalErrorDetail(detail)
		if decodeErr != nil {
			continue
		}
		if badRequest, ok := msg.(*errdetails.BadRequest); ok {
			return badRequest
		}
	}
	return nil
}

// FieldViolations returns the field violations of err's google.rpc.BadRequest detail as a map
// from the field's path in the request (e.g. "task.title") to the description ("is required");
// empty when there is none. A field with two violations keeps the first.
func FieldViolations(err error) map[string]string {
	out := map[string]string{}
	if badRequest := BadRequest(err); badRequest != nil {
		for _, v := range badRequest.GetFieldViolations() {
			if _, seen := out[v.GetField()]; !seen {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	return out
}
