import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

export interface TabDef {
  id: string;
  label: string;
}

/**
 * WAI-ARIA tabs (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/): one tab stop, Left/Right/Home/End move and select
 * (automatic activation), the panel is focusable so keyboard users can scroll its text.
 */
export function Tabs(props: {
  label: string;
  idPrefix: string;
  tabs: TabDef[];
  selected: string;
  onSelect: (id: string) => void;
  children: ComponentChildren;
}) {
  const list = useRef<HTMLDivElement>(null);
  const index = props.tabs.findIndex((t) => t.id === props.selected);
  const move = (to: number) => {
    const n = props.tabs.length;
    const next = props.tabs[(to + n) % n]!;
    props.onSelect(next.id);
    list.current?.querySelector<HTMLButtonElement>(`#${props.idPrefix}-tab-${next.id}`)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowRight: () => move(index + 1),
      ArrowLeft: () => move(index - 1),
      Home: () => move(0),
      End: () => move(props.tabs.length - 1),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };
  return (
    <div class="tabs">
      <div role="tablist" aria-label={props.label} ref={list} onKeyDown={onKeyDown} class="tablist">
        {props.tabs.map((t) => {
          const on = t.id === props.selected;
          return (
            <button
              type="button"
              role="tab"
              id={`${props.idPrefix}-tab-${t.id}`}
              aria-selected={on}
              aria-controls={`${props.idPrefix}-panel`}
              tabIndex={on ? 0 : -1}
              class={on ? 'tab tab-selected' : 'tab'}
              onClick={() => props.onSelect(t.id)}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      <div
        role="tabpanel"
        id={`${props.idPrefix}-panel`}
        aria-labelledby={`${props.idPrefix}-tab-${props.selected}`}
        tabIndex={0}
        class="tabpanel"
      >
        {props.children}
      </div>
    </div>
  );
}
