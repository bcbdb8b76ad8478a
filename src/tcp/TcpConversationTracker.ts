import type { Packet } from '../decode/Packet.js';
import { TcpFlag } from '../decode/Packet.js';
import { seqRelative } from './sequence.js';

/** What the tracker adds to one TCP segment. */
export interface TcpSegmentView {
  /** Wireshark's `tcp.stream`: index of the conversation, in order of first appearance. */
  stream: number;
  /** Sequence and acknowledgement numbers relative to each side's base, as Wireshark shows by default. */
  seq: number;
  ack: number;
  /** Window after scaling when both SYNs negotiated it; the raw field otherwise. */
  window: number;
  /** Window scale multiplier in force for this direction, or undefined when unknown or unused. */
  windowScaleMultiplier?: number;
  /** 0 for the side that sent the first segment of the conversation, 1 for the other. */
  direction: 0 | 1;
}

interface Side {
  base: number;
  baseSet: boolean;
  /** Shift from the SYN's window-scale option; -1: the SYN had none; undefined: SYN not seen. */
  synShift?: number;
}

interface Conversation {
  stream: number;
  /** Address/port of the side that sent the first segment seen. */
  firstKey: string;
  sides: [Side, Side];
}

/**
 * Assigns TCP segments to conversations and gives the per-segment numbers a packet
 * list shows (Wireshark's stream index, relative seq/ack, scaled window).
 *
 * Relative numbers follow Wireshark: a side's base is its SYN's sequence number; when the
 * SYN was not captured, the first segment seen counts as relative 1 (base = seq − 1), and an
 * acknowledgement of a side not yet seen fixes that side's base at ack − 1.
 */
export class TcpConversationTracker {
  readonly #conversations = new Map<string, Conversation>();
  #nextStream = 0;

  /** Conversations seen so far. */
  get streamCount(): number {
    return this.#nextStream;
  }

  track(packet: Packet): TcpSegmentView | undefined {
    const ip = packet.ip;
    const tcp = packet.tcp;
    if (!ip || !tcp) return undefined;
    const from = endpointKey(ip.src, tcp.srcPort);
    const to = endpointKey(ip.dst, tcp.dstPort);
    const key = from < to ? `${from}|${to}` : `${to}|${from}`;
    const syn = (tcp.flags & TcpFlag.SYN) !== 0;
    const ackFlag = (tcp.flags & TcpFlag.ACK) !== 0;

    let conv = this.#conversations.get(key);
    if (conv && syn && !ackFlag) {
      // A SYN whose ISN differs from the one this side opened with is port reuse: a new
      // conversation. A retransmitted SYN carries the same ISN and stays in the old one.
      const side = conv.sides[conv.firstKey === from ? 0 : 1];
      const sameSyn = side.synShift !== undefined && side.base === tcp.seq;
      if (!sameSyn) conv = undefined;
    }
    if (!conv) {
      conv = {
        stream: this.#nextStream++,
        firstKey: from,
        sides: [{ base: 0, baseSet: false }, { base: 0, baseSet: false }],
      };
      this.#conversations.set(key, conv);
    }
    const direction: 0 | 1 = conv.firstKey === from ? 0 : 1;
    const fwd = conv.sides[direction];
    const rev = conv.sides[direction === 0 ? 1 : 0];

    if (syn) {
      fwd.base = tcp.seq;
      fwd.baseSet = true;
      fwd.synShift = tcp.options.windowScale ?? -1;
    } else if (!fwd.baseSet) {
      fwd.base = (tcp.seq - 1) >>> 0;
      fwd.baseSet = true;
    }
    if (ackFlag && !rev.baseSet) {
      rev.base = (tcp.ack - 1) >>> 0;
      rev.baseSet = true;
    }

    // RFC 7323 §2.2: the window in a SYN is never scaled; scaling applies only when both
    // SYNs carried the option.
    let window = tcp.window;
    let windowScaleMultiplier: number | undefined;
    if (fwd.synShift !== undefined && rev.synShift !== undefined && fwd.synShift >= 0 && rev.synShift >= 0) {
      const shift = Math.min(fwd.synShift, 14);
      windowScaleMultiplier = 2 ** shift;
      if (!syn) window = tcp.window * windowScaleMultiplier;
    }

    return {
      stream: conv.stream,
      seq: seqRelative(tcp.seq, fwd.base),
      // Without the ACK flag the field means nothing; Wireshark then shows it unconverted.
      ack: ackFlag ? seqRelative(tcp.ack, rev.base) : tcp.ack,
      window,
      ...(windowScaleMultiplier !== undefined ? { windowScaleMultiplier } : {}),
      direction,
    };
  }
}

function endpointKey(address: string, port: number): string {
  return `${address}/${port}`;
}
