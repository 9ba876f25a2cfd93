// Package todo is the Go SDK of the Todo API: the buf-generated messages and connect-go v2
// clients under gen/ (one package per proto package, e.g. gen/todo/task/v1 and its
// taskv1connect), and this small layer on top, which builds one client per service with the
// protocol and the access token set once.
//
//	anon := todo.NewClient("http://127.0.0.1:50051", todo.WithGRPC())
//	res, err := anon.Auth.SignUp(ctx, &identityv1.SignUpRequest{Email: e, Password: p})
//	client := todo.NewClient("http://127.0.0.1:50051", todo.WithGRPC(), todo.WithToken(res.GetAccessToken()))
//	created, err := client.Tasks.CreateTask(ctx, &taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "Water the plants"}})
//
// The methods are the RPCs of proto/todo/<service>/v1, whose comments are the reference. Errors
// are *connect.Error; [BadRequest] and [FieldViolations] read the google.rpc.BadRequest detail
// that every INVALID_ARGUMENT carries. Deadlines are the context's: a call with
// context.WithTimeout sends the time left (grpc-timeout / connect-timeout-ms) and the server stops
// when it passes.
package todo

import (
	"context"
	"net/http"
	"strings"

	"connectrpc.com/connect/v2"
	"connectrpc.com/connect/v2/connecthttp"

	"github.com/todo-app/todo/sdk/go/gen/todo/assistant/v1/assistantv1connect"
	"github.com/todo-app/todo/sdk/go/gen/todo/identity/v1/identityv1connect"
	"github.com/todo-app/todo/sdk/go/gen/todo/notification/v1/notificationv1connect"
	"github.com/todo-app/todo/sdk/go/gen/todo/scheduler/v1/schedulerv1connect"
	"github.com/todo-app/todo/sdk/go/gen/todo/tag/v1/tagv1connect"
	"github.com/todo-app/todo/sdk/go/gen/todo/task/v1/taskv1connect"
)

// Protocol is the wire protocol a [Client] speaks.
type Protocol int

const (
	// ProtocolConnect is the Connect protocol (the default): HTTP/1.1 or HTTP/2, works on both of
	// a Todo server's ports (PORT over HTTP/1.1, GRPC_PORT over h2c).
	ProtocolConnect Protocol = iota
	// ProtocolGRPC is gRPC. It needs HTTP/2: an http:// base URL is spoken to with HTTP/2 prior
	// knowledge (h2c, a Todo server's GRPC_PORT), an https:// one with TLS and ALPN.
	ProtocolGRPC
	// ProtocolGRPCWeb is gRPC-web, over HTTP/1.1 or HTTP/2.
	ProtocolGRPCWeb
)

// TokenFunc returns the access token for one call; "" sends none (SignUp, SignIn). It runs
// before every call, so it may refresh or rotate the token.
type TokenFunc func(ctx context.Context) (string, error)

// Option configures [NewClient].
type Option func(*options)

type options struct {
	protocol     Protocol
	token        TokenFunc
	httpClient   connecthttp.HTTPClient
	interceptors []connect.ClientInterceptor
	transport    []connecthttp.Option
}

// WithGRPC makes the client speak gRPC (see [ProtocolGRPC]).
func WithGRPC() Option { return func(o *options) { o.protocol = ProtocolGRPC } }

// WithGRPCWeb makes the client speak gRPC-web.
func WithGRPCWeb() Option { return func(o *options) { o.protocol = ProtocolGRPCWeb } }

// WithToken sends `authorization: Bearer <token>` on every call (the access_token of
// AuthService.SignUp or SignIn).
func WithToken(token string) Option {
	return WithTokenFunc(func(context.Context) (string, error) { return token, nil })
}

// WithTokenFunc asks fn for the token before every call.
func WithTokenFunc(fn TokenFunc) Option { return func(o *options) { o.token = fn } }

// WithHTTPClient replaces the HTTP client (default: one chosen for the protocol and the URL's
// scheme, see [ProtocolGRPC]).
func WithHTTPClient(client connecthttp.HTTPClient) Option {
	return func(o *options) { o.httpClient = client }
}

// WithInterceptors adds client interceptors (logging, tracing, retries), run after the auth one.
func WithInterceptors(interceptors ...connect.ClientInterceptor) Option {
	return func(o *options) { o.interceptors = append(o.interceptors, interceptors...) }
}

// WithTransportOptions passes options to connecthttp.NewTransport (codec, compression, limits).
func WithTransportOptions(opts ...connecthttp.Option) Option {
	return func(o *options) { o.transport = append(o.transport, opts...) }
}

// Client holds one generated client per Todo service.
type Client struct {
	Auth          identityv1connect.AuthServiceClient
	Tasks         taskv1connect.TaskServiceClient
	Tags          tagv1connect.TagServiceClient
	Scheduler     schedulerv1connect.SchedulerServiceClient
	Notifications notificationv1connect.NotificationServiceClient
	Assistant     assistantv1connect.AssistantServiceClient
}

// NewClient returns the service clients for the Todo server at baseURL (scheme, host and port,
// e.g. "http://127.0.0.1:50051"). It opens no connection: the first call does.
func NewClient(baseURL string, opts ...Option) *Client {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	httpClient := o.httpClient
	if httpClient == nil {
		httpClient = defaultHTTPClient(o.protocol, baseURL)
	}
	transportOpts := []connecthttp.Option{}
	switch o.protocol {
	case ProtocolGRPC:
		transportOpts = append(transportOpts, connecthttp.WithGRPC())
	case ProtocolGRPCWeb:
		transportOpts = append(transportOpts, connecthttp.WithGRPCWeb())
	}
	transportOpts = append(transportOpts, o.transport...)
	interceptors := o.interceptors
	if o.token != nil {
		interceptors = append([]connect.ClientInterceptor{authInterceptor(o.token)}, interceptors...)
	}
	client := connect.NewClient(connecthttp.NewTransport(httpClient, baseURL, transportOpts...), interceptors...)
	return &Client{
		Auth:          identityv1connect.NewAuthServiceClient(client),
		Tasks:         taskv1connect.NewTaskServiceClient(client),
		Tags:          tagv1connect.NewTagServiceClient(client),
		Scheduler:     schedulerv1connect.NewSchedulerServiceClient(client),
		Notifications: notificationv1connect.NewNotificationServiceClient(client),
		Assistant:     assistantv1connect.NewAssistantServiceClient(client),
	}
}

// authInterceptor sets the authorization header from token before each call.
func authInterceptor(token TokenFunc) connect.ClientInterceptor {
	return func(next connect.ClientFunc) connect.ClientFunc {
		return func(ctx context.Context, spec connect.Spec) (connect.ClientStream, error) {
			value, err := token(ctx)
			if err != nil {
				return nil, connect.NewError(connect.CodeUnauthenticated, "no access token").WithCause(err)
			}
			if value != "" {
				if info, ok := connect.CallInfoForClientContext(ctx); ok {
					info.RequestHeader().Set("Authorization", "Bearer "+value)
				}
			}
			return next(ctx, spec)
		}
	}
}

// defaultHTTPClient is Go's default client (HTTP/1.1, or HTTP/2 where TLS negotiates it), except
// for gRPC on an http:// URL, which needs HTTP/2 with prior knowledge (h2c).
func defaultHTTPClient(protocol Protocol, baseURL string) *http.Client {
	if protocol != ProtocolGRPC || !strings.HasPrefix(baseURL, "http://") {
		return http.DefaultClient
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	transport.Protocols = protocols
	return &http.Client{Transport: transport}
}
