/**
 * The task editor in a modal dialog. The editor itself (web/src/components/editor/TaskEditor.tsx,
 * by the editor's owner) is loaded on first use, so its date picker and recurrence builder stay out
 * of the initial bundle. A native `<dialog>` gives the focus trap, Escape and the backdrop; focus
 * returns to where it was when the dialog closes.
 */
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { ErrorBoundary, type JSX, lazy, onCleanup, onMount, Suspense } from "solid-js";

const TaskEditor = lazy(() => import("./editor/TaskEditor"));

/** Props of {@link EditorDialog}. */
export interface EditorDialogProps {
  /** The task to edit; undefined for a new task. */
  readonly task?: Task | undefined;
  onClose(): void;
  onSaved(task: Task): void;
  /** Deletes the task being edited (offered for an existing task). */
  onDelete?(task: Task): void;
}

/** Starts loading the editor's code (on hover or idle), so opening it feels instant. */
export function preloadEditor(): void {
  void import("./editor/TaskEditor").catch(() => {});
}

/** The editor dialog; mount it while editing, unmount to close. */
export function EditorDialog(props: EditorDialogProps): JSX.Element {
  let dialog!: HTMLDialogElement;
  const previous = typeof document !== "undefined" ? (document.activeElement as HTMLElement | null) : null;

  onMount(() => {
    if (typeof dialog.showModal === "function" && !dialog.open) {
      try {
        dialog.showModal();
      } catch {
        dialog.setAttribute("open", "");
      }
    } else dialog.setAttribute("open", "");
  });
  onCleanup(() => {
    if (dialog.open && typeof dialog.close === "function") dialog.close();
    previous?.focus?.();
  });

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the backdrop click has a keyboard twin, Escape (the dialog's cancel event).
    <dialog
      ref={dialog}
      class="editor-dialog"
      aria-label={props.task ? `Edit task: ${props.task.title}` : "New task"}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it.
        if (e.target === dialog) props.onClose();
      }}
    >
      <div class="editor-dialog__content">
        <ErrorBoundary
          fallback={(err) => (
            <div role="alert" class="list-error">
              <p>The editor could not be loaded: {String(err?.message ?? err)}</p>
              <button type="button" class="button" onClick={() => props.onClose()}>
                Close
              </button>
            </div>
          )}
        >
          <Suspense fallback={<p class="editor-dialog__loading">Loading editor…</p>}>
            <TaskEditor
              {...(props.task ? { task: props.task } : {})}
              onClose={() => props.onClose()}
              onSaved={(t: Task) => props.onSaved(t)}
              {...(props.task && props.onDelete
                ? { onDelete: () => props.onDelete?.(props.task as Task) }
                : {})}
            />
          </Suspense>
        </ErrorBoundary>
      </div>
    </dialog>
  );
}
