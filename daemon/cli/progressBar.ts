/**
 * A terminal progress bar on stderr (stdout stays clean for results). Without a TTY it prints a line only when
 * the image changes, so logs stay short.
 */
export class ProgressBar {
  private lastLine = '';
  private readonly tty = process.stderr.isTTY === true;

  update(fraction: number, message: string): void {
    const f = Math.max(0, Math.min(1, fraction));
    if (this.tty) {
      const width = 28;
      const filled = Math.round(f * width);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${message}`;
      process.stderr.write(`\r${line.padEnd(this.lastLine.length)}`);
      this.lastLine = line;
    }
  }

  /** A line that should stay (non-TTY logs get these only). */
  note(message: string): void {
    this.clear();
    process.stderr.write(`${message}\n`);
  }

  clear(): void {
    if (this.tty && this.lastLine) {
      process.stderr.write(`\r${' '.repeat(this.lastLine.length)}\r`);
      this.lastLine = '';
    }
  }
}
