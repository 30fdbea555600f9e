/**
 * Puts the demo's live view on the screen: on a terminal it redraws the whole view
 * in place with ANSI cursor movements (no dependency); on a pipe or a file it
 * appends one compact status line per refresh instead.
 */
import type { DemoViewState } from "./demo-view-state.js";
import { renderDemoView, renderStatusLine } from "./render-demo-view.js";

const ESC = "\x1b[";

/** The stream the view writes to: `process.stdout` or anything shaped like it. */
export interface ViewOutput {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}

/** Draws successive states of the view. */
export class TerminalView {
  readonly #out: ViewOutput;
  readonly #tty: boolean;
  readonly #color: boolean;
  #drawn = 0;
  #broken = false;

  /**
   * `tty`: redraw in place (default: `out.isTTY`). Colours on a terminal unless the
   * `NO_COLOR` environment variable is set.
   */
  constructor(out: ViewOutput, options: { tty?: boolean; color?: boolean } = {}) {
    this.#out = out;
    this.#tty = options.tty ?? out.isTTY === true;
    this.#color = options.color ?? (this.#tty && !process.env.NO_COLOR);
  }

  /** True when the view redraws in place. */
  get inPlace(): boolean {
    return this.#tty;
  }

  /** Draws `state`: replaces the previous screen on a terminal, appends a line otherwise. */
  draw(state: DemoViewState): void {
    if (this.#broken) return;
    try {
      if (!this.#tty) {
        this.#out.write(`${renderStatusLine(state)}\n`);
        return;
      }
      const lines = renderDemoView(state, {
        width: Math.max(40, this.#out.columns ?? 100),
        height: Math.max(10, (this.#out.rows ?? 40) - 1),
        color: this.#color,
      });
      const up = this.#drawn > 0 ? `${ESC}${this.#drawn}F` : "";
      const hide = this.#drawn === 0 ? `${ESC}?25l` : "";
      this.#out.write(`${hide}${up}${lines.map((l) => `${l}${ESC}K`).join("\n")}\n${ESC}J`);
      this.#drawn = lines.length;
    } catch {
      // The output went away (a closed pipe): stop drawing, let the job run on.
      this.#broken = true;
    }
  }

  /** Leaves the terminal as it was (cursor shown); the last screen stays visible. */
  close(): void {
    if (this.#tty && this.#drawn > 0 && !this.#broken) this.#out.write(`${ESC}?25h`);
  }

  /** Marks the output as gone (an `EPIPE` on stdout): nothing more is written. */
  detach(): void {
    this.#broken = true;
  }
}
