/** Redraws a block of lines in place on a terminal (ANSI: cursor up, clear below). */
export class TtyScreen {
  #height = 0;
  constructor(private readonly out: NodeJS.WriteStream) {
    out.write('\x1b[?25l'); // hide the cursor while redrawing
  }

  /** Replaces the block drawn last with `lines` (each cut to the terminal's width). */
  draw(lines: readonly string[]): void {
    const width = this.out.columns || 120;
    const up = this.#height > 0 ? `\x1b[${this.#height}A\r` : '';
    this.out.write(`${up}\x1b[0J${lines.map((l) => cut(l, width)).join('\n')}\n`);
    this.#height = lines.length;
  }

  /** Leaves the last block on screen and shows the cursor again. */
  end(): void {
    this.out.write('\x1b[?25h');
  }
}

/** Cuts a line with ANSI colours to `width` visible characters. */
function cut(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= width - 1) break;
    out += line[i];
    visible++;
  }
  return `${out}\x1b[0m`;
}
