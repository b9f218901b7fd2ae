/** A line longer than the bound: refused as soon as it is seen, never buffered whole. */
export class LineTooLong extends Error {
  override readonly name = "LineTooLong";
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * The lines of a byte stream (LF or CRLF, UTF-8), holding at most `maxBytes` of the current line:
 * a longer one throws LineTooLong with its number at once, unlike readline, which buffers a line
 * whatever its length.
 */
export async function* boundedLines(input: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<string> {
  let pieces: Buffer[] = [];
  let held = 0;
  let lineNumber = 1;
  const line = () => {
    const whole = Buffer.concat(pieces, held);
    pieces = [];
    held = 0;
    return whole.at(-1) === CARRIAGE_RETURN ? whole.toString("utf8", 0, whole.length - 1) : whole.toString("utf8");
  };
  const hold = (piece: Buffer) => {
    held += piece.length;
    if (held > maxBytes) throw new LineTooLong(`line ${lineNumber}: longer than ${maxBytes} bytes`);
    pieces.push(piece);
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      hold(bytes.subarray(start, end));
      yield line();
      lineNumber++;
      start = end + 1;
    }
    hold(bytes.subarray(start));
  }
  if (held > 0) yield line();
}
