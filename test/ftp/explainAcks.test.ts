// explainAcks finds, for each transfer, the first ACK of the control connection that
// acknowledges its 1xx reply or a later frame, by halving over the running highest frame
// acknowledged. Its answers must be those of the plain walk over every ACK, also when ACKs
// acknowledge frames out of order (retransmissions, reordering): random sessions compared.
import { describe, expect, it } from 'vitest';
import { explainAcks } from '../../src/ftp/FtpAnalyzer.js';
import type { FtpSession, FtpTransfer } from '../../src/ftp/model.js';
import { seededRandom } from '../helpers/random.js';

/** The first ACK (by the walk) for each transfer, or undefined where none explains both replies. */
function byWalk(transfers: FtpTransfer[], acks: Array<[number, number]>): Array<number | undefined> {
  return transfers.map((t) => {
    const p = t.preliminary;
    const f = t.final;
    if (!p || !f || f.frame <= p.frame) return undefined;
    const first = acks.find(([, acked]) => acked >= p.frame);
    return first && first[1] >= f.frame ? first[0] : undefined;
  });
}

describe('explainAcks', () => {
  it('names the ACK the walk over every ACK would name (random sessions, ACKs in and out of order)', () => {
    const random = seededRandom(0xac45);
    let explained = 0;
    for (let round = 0; round < 400; round++) {
      const acks: Array<[number, number]> = [];
      let frame = 1;
      let acked = 0;
      for (let i = Math.floor(random() * 40); i > 0; i--) {
        frame += 1 + Math.floor(random() * 5);
        // Mostly growing; now and then an older frame (a late or repeated acknowledgement).
        acked = random() < 0.2 ? Math.max(0, acked - Math.floor(random() * 20)) : acked + Math.floor(random() * 8);
        acks.push([frame, acked]);
      }
      const transfers = Array.from({ length: Math.floor(random() * 12) }, (_, i) => {
        const p = Math.floor(random() * (acked + 10));
        const f = p + Math.floor(random() * 12) - 2;
        return {
          id: i + 1,
          preliminary: random() < 0.9 ? { frame: p, code: 150, text: 'go', announcedSize: null } : null,
          final: random() < 0.9 ? { frame: f, code: 226, text: 'done' } : null,
        } as unknown as FtpTransfer;
      });
      const want = byWalk(transfers, acks);
      explainAcks({ transfers } as unknown as FtpSession, acks);
      const got = transfers.map((t) => (t.ackExplanation === undefined ? undefined : Number(/^frame (\d+) /.exec(t.ackExplanation)![1])));
      expect(got, JSON.stringify({ acks, transfers })).toEqual(want);
      explained += got.filter((x) => x !== undefined).length;
    }
    expect(explained).toBeGreaterThan(100);
  });
});
