// Several captures read as one trace, merged by time as `mergecap` merges them, without
// loading any of them: each input is read chunk by chunk and only its next frame is held.

import type { CaptureSummary } from './CaptureInfo.js';
import { CaptureReader } from './CaptureReader.js';
import type { Frame } from './Frame.js';
import { captureChunks, readCapture, sourceName, summarize, type CaptureSource, type ReadCaptureOptions } from './readCapture.js';

/** Bytes of read buffer shared by all inputs of a merge (each input gets at least 64 KiB, at most 1 MiB). */
const MERGE_BUFFER_BUDGET = 8 * 1024 * 1024;
const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024;

/** One input of a merge: where its bytes come from and how far it got. */
interface MergeInput {
  index: number;
  reader: CaptureReader;
  chunks: AsyncGenerator<Uint8Array, void, undefined>;
  state: { gzip: boolean };
  /** The input's next frame, not yet handed on; undefined once the input ended. */
  head: Frame | undefined;
}

/**
 * Reads one or more captures as one trace and calls `onFrame` for every frame in time order;
 * resolves to one summary per input, in the order given.
 *
 * With one input this is `readCapture`. With several, frames are merged exactly as
 * `mergecap -w out.pcapng a b …` (Wireshark 4.0) writes them, so `frame.no` is the number
 * tshark shows for that frame in mergecap's output: the next frame is always the earliest of
 * the inputs' next frames (an input whose frames go back in time is not sorted, only its next
 * frame is compared); on equal time stamps the input given later wins (mergecap's comparison
 * keeps the last of equal candidates); a frame without a time stamp (pcapng simple packet
 * block) goes first, the earliest such input winning. Each frame also gets `capture` (the
 * input's index) and `captureFrame` (its number in its own file). Link types stay per frame,
 * so pcap and pcapng inputs of different link types mix freely.
 *
 * Memory: three read buffers per input (together about 8 MiB at most, 64 KiB each beyond 42
 * inputs) and one frame of look-ahead; nothing grows with the size of the captures. An input
 * that is not a capture rejects the whole read with a CaptureFormatError naming it; damage
 * inside an input is a warning in its summary (frame numbers there are the file's own) and the
 * other inputs are read to their end.
 *
 * `onChunkEnd` is called before any input's buffer is refilled (and once at the end), so a
 * consumer holding views of frame data until then never sees them overwritten.
 */
export async function readCaptures(
  sources: readonly CaptureSource[],
  onFrame: (frame: Frame) => void,
  options: ReadCaptureOptions = {},
): Promise<CaptureSummary[]> {
  if (sources.length === 0) throw new RangeError('readCaptures needs at least one capture');
  if (sources.length === 1) return [await readCapture(sources[0]!, onFrame, options)];
  if (sources.filter((s) => s === '-').length > 1) throw new RangeError('standard input (-) can be read only once');

  const chunkSize = options.chunkSize ?? Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.floor(MERGE_BUFFER_BUDGET / (3 * sources.length))));
  const inputOptions: ReadCaptureOptions = { ...options, chunkSize };
  const inputs: MergeInput[] = sources.map((source, index) => {
    const reader = new CaptureReader({ ...options, name: sourceName(source) });
    const state = { gzip: false };
    return { index, reader, state, chunks: captureChunks(source, inputOptions, reader, state), head: undefined };
  });
  const onChunkEnd = options.onChunkEnd;
  try {
    // First frame of every input, in the order given (an input that is not a capture fails here).
    for (const input of inputs) await refill(input, undefined);
    const heap = new InputHeap(inputs.filter((i) => i.head !== undefined));
    let no = 0;
    for (let top = heap.top(); top !== undefined; top = heap.top()) {
      const frame = top.head!;
      frame.captureFrame = frame.no;
      frame.capture = top.index;
      frame.no = ++no;
      onFrame(frame);
      const next = top.reader.next();
      if (next !== undefined) top.head = next;
      else await refill(top, onChunkEnd);
      if (top.head === undefined) heap.pop();
      else heap.siftTop();
    }
    if (onChunkEnd !== undefined) await onChunkEnd();
    return inputs.map((i) => summarize(i.reader, i.state.gzip));
  } finally {
    // Close every file still open (after an error, or inputs cut short by one).
    await Promise.allSettled(inputs.map((i) => i.chunks.return(undefined)));
  }
}

/**
 * Reads the input's next chunks until it has a frame or ended. Consumers are told first
 * (`onChunkEnd`) that frame views are about to go stale.
 */
async function refill(input: MergeInput, onChunkEnd: (() => void | Promise<void>) | undefined): Promise<void> {
  input.head = undefined;
  for (;;) {
    const frame = input.reader.next();
    if (frame !== undefined) {
      input.head = frame;
      return;
    }
    if (onChunkEnd !== undefined) await onChunkEnd();
    const r = await input.chunks.next();
    if (r.done === true) {
      input.reader.finish();
      return;
    }
    input.reader.append(r.value);
  }
}

/**
 * True when input a's next frame goes before input b's, as mergecap decides: a frame without a
 * time stamp first (the earlier input among those), then the earlier time, then on equal times
 * the later input.
 */
function before(a: MergeInput, b: MergeInput): boolean {
  const fa = a.head!;
  const fb = b.head!;
  const ma = fa.timestampMissing === true;
  const mb = fb.timestampMissing === true;
  if (ma || mb) return ma && mb ? a.index < b.index : ma;
  if (fa.tsSec !== fb.tsSec) return fa.tsSec < fb.tsSec;
  if (fa.tsNsec !== fb.tsNsec) return fa.tsNsec < fb.tsNsec;
  return a.index > b.index;
}

/** A binary min-heap of inputs by their next frame; the top's frame changes in place, then `siftTop`. */
class InputHeap {
  readonly #items: MergeInput[];

  constructor(items: MergeInput[]) {
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  top(): MergeInput | undefined {
    return this.#items[0];
  }

  pop(): void {
    const last = this.#items.pop();
    if (last === undefined || this.#items.length === 0) return;
    this.#items[0] = last;
    this.#down(0);
  }

  siftTop(): void {
    this.#down(0);
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[c]!, items[i]!)) return;
      [items[i], items[c]] = [items[c]!, items[i]!];
      i = c;
    }
  }
}
