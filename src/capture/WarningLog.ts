import type { CaptureWarning } from './Frame.js';

/**
 * The reader's warnings, capped: a corrupt file can repeat the same fault on every record,
 * and the list must not grow with the capture. Past the cap the warnings are only counted,
 * and one closing entry says how many were left out.
 */
export class WarningLog {
  readonly list: CaptureWarning[] = [];
  #max: number;
  #dropped = 0;
  #overflow: CaptureWarning | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  add(frame: number, offset: number, message: string): void {
    if (this.list.length < this.#max) {
      this.list.push({ frame, offset, message });
      return;
    }
    this.#dropped++;
    if (this.#overflow === undefined) {
      this.#overflow = { frame, offset, message: '' };
      this.list.push(this.#overflow);
    }
    this.#overflow.message = `${this.#dropped} more warning${this.#dropped === 1 ? '' : 's'} not listed (limit ${this.#max})`;
  }
}
