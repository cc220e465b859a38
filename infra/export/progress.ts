/**
 * Progress on stderr: on a terminal one line that updates in place (events, rate, pages);
 * otherwise (a log, CI) one plain line per page. Notes and retries get their own lines.
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export class Progress {
  readonly startedAt: number;
  events = 0;
  pages = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
  }

  get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** Events per second since the start of the run. */
  rate(): number {
    const seconds = (this.now() - this.startedAt) / 1000;
    return seconds > 0 ? this.events / seconds : 0;
  }

  elapsedSeconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  page(added: number, total: number, options: { quiet?: boolean } = {}): void {
    this.pages += 1;
    this.events += added;
    if (options.quiet) return;
    const rate = Math.round(this.rate());
    if (this.tty) {
      this.stream.write(
        `\r\x1b[Kexporting: ${this.events} events (${total} in the output), ${rate} ev/s, ${this.pages} pages`,
      );
      this.drawn = true;
    } else {
      this.stream.write(`page ${this.pages}: +${added} events, ${this.events} total, ${rate} ev/s\n`);
    }
  }

  /** A line of its own, keeping the in-place line below it on a terminal. */
  note(message: string): void {
    if (this.tty && this.drawn) this.stream.write(`\r\x1b[K${message}\n`);
    else this.stream.write(`${message}\n`);
    this.drawn = false;
  }

  /** Ends the in-place line so what follows starts on a fresh one. */
  finish(): void {
    if (this.tty && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
