/**
 * A task row's "More actions" menu (Edit, Delete): a menu button (`aria-haspopup="menu"`) and, when
 * open, a `role="menu"` of `menuitem` buttons, following the WAI-ARIA menu button pattern — the first
 * item takes focus, ArrowUp/ArrowDown move, Escape closes and gives focus back to the button, and a
 * click elsewhere or leaving the menu closes it.
 */
import { createSignal, For, type JSX, onCleanup, Show } from "solid-js";

/** One entry of the menu. */
export interface RowMenuItem {
  readonly label: string;
  /** `danger` items (Delete) are drawn in the error colour. */
  readonly danger?: boolean;
  run(): void;
}

/** Props of {@link RowMenu}. */
export interface RowMenuProps {
  /** The accessible name of the button, e.g. `More actions for Pay rent`. */
  readonly label: string;
  readonly items: readonly RowMenuItem[];
}

/** The menu button and its menu. */
export function RowMenu(props: RowMenuProps): JSX.Element {
  const [open, setOpen] = createSignal(false);
  let button!: HTMLButtonElement;
  let menu: HTMLDivElement | undefined;

  const items = () => Array.from(menu?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
  const close = (refocus: boolean) => {
    setOpen(false);
    document.removeEventListener("pointerdown", onOutside, true);
    if (refocus) button.focus();
  };
  const onOutside = (e: PointerEvent) => {
    if (!button.parentElement?.contains(e.target as Node)) close(false);
  };
  const show = () => {
    setOpen(true);
    document.addEventListener("pointerdown", onOutside, true);
    queueMicrotask(() => items()[0]?.focus());
  };
  onCleanup(() => document.removeEventListener("pointerdown", onOutside, true));

  return (
    <div class="row-menu">
      <button
        ref={button}
        type="button"
        class="icon-button row-menu__button"
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open()}
        title="More actions"
        onClick={(e) => {
          e.stopPropagation();
          if (open()) close(false);
          else show();
        }}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      <Show when={open()}>
        <div
          ref={menu}
          class="row-menu__list"
          role="menu"
          aria-label={props.label}
          onClick={(e) => e.stopPropagation()}
          onKeyDown={(e) => {
            const list = items();
            const at = list.indexOf(document.activeElement as HTMLElement);
            if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              close(true);
            } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              e.stopPropagation();
              const step = e.key === "ArrowDown" ? 1 : -1;
              list[(at + step + list.length) % list.length]?.focus();
            } else if (e.key === "Tab") close(false);
          }}
        >
          <For each={props.items}>
            {(item) => (
              <button
                type="button"
                role="menuitem"
                class="row-menu__item"
                classList={{ "row-menu__item--danger": item.danger }}
                tabIndex={-1}
                onClick={() => {
                  close(false);
                  item.run();
                }}
              >
                {item.label}
              </button>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}
