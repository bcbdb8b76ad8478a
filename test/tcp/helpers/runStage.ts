// Runs the TCP stage over a capture file and keeps what the tests compare: every TCP segment's
// view, the connection summaries, and (when asked) what the consumers received.
import { readCapture } from '../../../src/capture/readCapture.js';
import { PacketDecoder } from '../../../src/decode/PacketDecoder.js';
import type { StreamChunk, StreamConsumer, StreamConsumerFactory, StreamEnd, StreamGap } from '../../../src/tcp/StreamEvents.js';
import type { TcpConnection, TcpSegmentView } from '../../../src/tcp/TcpModel.js';
import { TcpStage, type TcpStageOptions } from '../../../src/tcp/TcpStage.js';

export interface StageRun {
  /** Frame number → view, for TCP frames. */
  views: Map<number, TcpSegmentView>;
  /** Summaries by stream. */
  connections: Map<number, TcpConnection>;
  /** Frames in the capture. */
  frames: number;
}

export async function runStage(file: string, options: TcpStageOptions = {}): Promise<StageRun> {
  const decoder = new PacketDecoder();
  const connections = new Map<number, TcpConnection>();
  const stage = new TcpStage({
    ...options,
    onConnection: (c) => {
      if (connections.has(c.stream)) throw new Error(`stream ${c.stream} summarised twice`);
      connections.set(c.stream, c);
      options.onConnection?.(c);
    },
  });
  const views = new Map<number, TcpSegmentView>();
  let frames = 0;
  await readCapture(file, (frame) => {
    frames++;
    const view = stage.process(decoder.decode(frame));
    if (view) views.set(frame.no, { ...view }); // the stage reuses its view object
  });
  stage.finish();
  return { views, connections, frames };
}

export type RecordedEvent =
  | { type: 'data'; stream: number; chunk: Omit<StreamChunk, 'bytes'> & { bytes: Uint8Array } }
  | { type: 'gap'; stream: number; gap: StreamGap }
  | { type: 'end'; stream: number; end: StreamEnd }
  | { type: 'closed'; stream: number };

/** A consumer factory that records everything, for every connection, in one list (delivery order). */
export function recordingFactory(events: RecordedEvent[], accept: (stream: number) => boolean = () => true): StreamConsumerFactory {
  return (start) => {
    if (!accept(start.stream)) return undefined;
    const stream = start.stream;
    const consumer: StreamConsumer = {
      data: (chunk) => events.push({ type: 'data', stream, chunk: { ...chunk, frames: [...chunk.frames], bytes: chunk.bytes.slice() } }),
      gap: (gap) => events.push({ type: 'gap', stream, gap: { ...gap } }),
      end: (end) => events.push({ type: 'end', stream, end: { ...end } }),
      closed: () => events.push({ type: 'closed', stream }),
    };
    return consumer;
  };
}
