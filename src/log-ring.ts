// A bounded ring of recent log entries: long runs keep memory flat, a failure still has context.
import type { LogEntry } from './types.js';

export class LogRing {
  readonly #items: LogEntry[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  push(entry: LogEntry): void {
    if (this.capacity === 0) return;
    if (this.#items.length < this.capacity) {
      this.#items.push(entry);
    } else {
      this.#items[this.#next] = entry;
      this.#next = (this.#next + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  entries(): LogEntry[] {
    return [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }
}
