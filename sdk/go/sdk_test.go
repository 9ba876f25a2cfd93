package todo_test

// The SDK against a running Todo server (`bun start`), the way another team would use it: sign up,
// create a recurring task, list with a filter, watch a change arrive, and read the field
// violations of an INVALID_ARGUMENT. `bun run test:sdk` (scripts/sdk-test.ts) starts the server
// on free ports and sets TODO_SDK_TEST_GRPC_URL (its h2c port) and TODO_SDK_TEST_HTTP_URL (its
// HTTP/1.1 port); without them every test fails, it never skips.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	todo "github.com/todo-app/todo/sdk/go"
	identityv1 "github.com/todo-app/todo/sdk/go/gen/todo/identity/v1"
	taskv1 "github.com/todo-app/todo/sdk/go/gen/todo/task/v1"
)

// serverURL is the URL in env var key; the test fails when it is not set.
func serverURL(t *testing.T, key string) string {
	t.Helper()
	url := os.Getenv(key)
	if url == "" {
		t.Fatalf("%s is not set: these tests need a running Todo server; run them with `bun run test:sdk`, "+
			"which starts `bun start` and sets it", key)
	}
	return url
}

// signUp creates a new account through client and returns its access token.
func signUp(t *testing.T, ctx context.Context, client *todo.Client) (string, *identityv1.User) {
	t.Helper()
	email := fmt.Sprintf("go-sdk-%d@example.com", time.Now().UnixNano())
	res, err := client.Auth.SignUp(ctx, &identityv1.SignUpRequest{
		Email:       email,
		Password:    "a long passphrase for the Go SDK",
		DisplayName: "Go SDK",
		TimeZone:    "Europe/Berlin",
	})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if res.GetAccessToken() == "" || res.GetUser().GetEmail() != email {
		t.Fatalf("SignUp answered token %q and user %v; want a token and %s", res.GetAccessToken(), res.GetUser(), email)
	}
	return res.GetAccessToken(), res.GetUser()
}

func TestSDKOverGRPC(t *testing.T) {
	url := serverURL(t, "TODO_SDK_TEST_GRPC_URL")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	var client *todo.Client
	t.Run("sign up", func(t *testing.T) {
		token, _ := signUp(t, ctx, todo.NewClient(url, todo.WithGRPC()))
		client = todo.NewClient(url, todo.WithGRPC(), todo.WithToken(token))
		callCtx, info := connect.NewClientContext(ctx)
		me, err := client.Auth.GetCurrentUser(callCtx, &identityv1.GetCurrentUserRequest{})
		if err != nil || me.GetUser().GetDisplayName() != "Go SDK" {
			t.Fatalf("GetCurrentUser with the new token: %v, %v", me, err)
		}
		if info.Protocol != "grpc" {
			t.Fatalf("the call went over %q; want grpc", info.Protocol)
		}
	})
	if client == nil {
		t.FailNow()
	}

	var recurring *taskv1.Task
	t.Run("create a task with a recurrence and watch it arrive", func(t *testing.T) {
		watchCtx, stopWatching := context.WithTimeout(ctx, 20*time.Second)
		defer stopWatching()
		stream, err := client.Tasks.WatchTasks(watchCtx, &taskv1.WatchTasksRequest{})
		if err != nil {
			t.Fatalf("WatchTasks: %v", err)
		}
		defer stream.Close()
		// The server's first message is an empty keep-alive: once it is here, the stream is live.
		if first, err := stream.Receive(); err != nil || first.GetChange() != nil {
			t.Fatalf("WatchTasks' first message: %v, %v; want an empty keep-alive", first, err)
		}

		due := time.Date(2030, time.January, 7, 9, 0, 0, 0, time.UTC) // a Monday
		created, err := client.Tasks.CreateTask(ctx, &taskv1.CreateTaskRequest{
			Task: &taskv1.Task{
				Title:      "Water the plants",
				Priority:   taskv1.Priority_PRIORITY_HIGH,
				Tags:       []string{"home"},
				DueTime:    timestamppb.New(due),
				TimeZone:   "UTC",
				Recurrence: &taskv1.Recurrence{Rrule: "FREQ=WEEKLY;BYDAY=MO", Anchor: taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_SCHEDULE},
			},
			RequestId: fmt.Sprintf("go-sdk-%d", time.Now().UnixNano()),
		})
		if err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		recurring = created.GetTask()
		if recurring.GetId() == "" || recurring.GetSeriesId() == "" ||
			recurring.GetRecurrence().GetRrule() != "FREQ=WEEKLY;BYDAY=MO" ||
			!recurring.GetDueTime().AsTime().Equal(due) || recurring.GetStatus() != taskv1.TaskStatus_TASK_STATUS_OPEN {
			t.Fatalf("CreateTask answered %v; want an open weekly task due %s with an id and a series", recurring, due)
		}

		for {
			msg, err := stream.Receive()
			if err != nil {
				t.Fatalf("WatchTasks ended before the new task's change arrived: %v", err)
			}
			change := msg.GetChange()
			if change == nil {
				continue // keep-alive
			}
			if change.GetTask().GetId() == recurring.GetId() {
				if change.GetType() != taskv1.ChangeType_CHANGE_TYPE_CREATED || change.GetTask().GetTitle() != "Water the plants" {
					t.Fatalf("the watched change is %v; want CREATED with the task", change)
				}
				return
			}
		}
	})

	t.Run("list with a filter", func(t *testing.T) {
		if recurring == nil {
			t.Fatal("no task was created")
		}
		if _, err := client.Tasks.CreateTask(ctx, &taskv1.CreateTaskRequest{
			Task: &taskv1.Task{Title: "Read a book", Priority: taskv1.Priority_PRIORITY_LOW, Tags: []string{"home"}},
		}); err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		all, err := client.Tasks.ListTasks(ctx, &taskv1.ListTasksRequest{})
		if err != nil || all.GetTotalSize() != 2 {
			t.Fatalf("ListTasks without a filter: %v, %v; want both tasks", all, err)
		}
		res, err := client.Tasks.ListTasks(ctx, &taskv1.ListTasksRequest{Filter: "priority >= HIGH AND tags:home"})
		if err != nil {
			t.Fatalf("ListTasks: %v", err)
		}
		if res.GetTotalSize() != 1 || len(res.GetTasks()) != 1 || res.GetTasks()[0].GetId() != recurring.GetId() {
			t.Fatalf("ListTasks(priority >= HIGH AND tags:home) = %v; want only %s", res, recurring.GetId())
		}
	})

	t.Run("an INVALID_ARGUMENT carries its field violations", func(t *testing.T) {
		_, err := client.Tasks.CreateTask(ctx, &taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: ""}})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("CreateTask with an empty title: %v; want INVALID_ARGUMENT", err)
		}
		violations := todo.FieldViolations(err)
		if !strings.Contains(violations["task.title"], "required") {
			t.Fatalf("field violations %v (error %v); want task.title's \"is required ...\"", violations, err)
		}
		if len(todo.BadRequest(err).GetFieldViolations()) != len(violations) {
			t.Fatalf("BadRequest %v and FieldViolations %v disagree", todo.BadRequest(err), violations)
		}
		if todo.BadRequest(errors.New("not a connect error")) != nil {
			t.Fatal("BadRequest of a plain error is not nil")
		}
	})
}

// The Connect protocol on the server's HTTP/1.1 port (what a browser or curl uses), with the
// token from a function.
func TestSDKOverConnect(t *testing.T) {
	url := serverURL(t, "TODO_SDK_TEST_HTTP_URL")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	token, _ := signUp(t, ctx, todo.NewClient(url))
	client := todo.NewClient(url, todo.WithTokenFunc(func(context.Context) (string, error) { return token, nil }))
	callCtx, info := connect.NewClientContext(ctx)
	created, err := client.Tasks.CreateTask(callCtx, &taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "Over Connect"}})
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	if info.Protocol != "connect" {
		t.Fatalf("the call went over %q; want connect", info.Protocol)
	}
	got, err := client.Tasks.GetTask(ctx, &taskv1.GetTaskRequest{Id: created.GetTask().GetId()})
	if err != nil || got.GetTask().GetTitle() != "Over Connect" {
		t.Fatalf("GetTask: %v, %v", got, err)
	}
	_, err = todo.NewClient(url).Tasks.ListTasks(ctx, &taskv1.ListTasksRequest{})
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("ListTasks without a token: %v; want UNAUTHENTICATED", err)
	}
}
