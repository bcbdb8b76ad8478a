// The TCP stage against tshark 4.0, frame by frame, on every fixture and every public capture:
// tcp.stream, relative and raw seq/ack, the calculated window and its scale factor, every
// tcp.analysis.* flag, duplicate_ack_num/_frame, acks_frame, initial_rtt, the Info column's
// analysis labels, and (with tshark's checksum checks turned on) the IPv4 and TCP checksum status.
import { describe, expect, it } from 'vitest';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkNote } from '../helpers/tshark.js';
import { compareAnalysis } from './helpers/analysisDiff.js';

const compare = (file: string) => compareAnalysis(file, captureLabel(file));

describe(`TCP analysis agrees with tshark on the fixtures${tsharkNote}`, () => {
  for (const file of fixtureCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      const { segments, diffs } = await compare(file);
      expect(segments).toBeGreaterThan(0);
      expect(diffs.join('\n')).toBe('');
    });
  }
});

describe(`TCP analysis agrees with tshark on the public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}${tsharkNote}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      const { diffs } = await compare(file);
      expect(diffs.join('\n')).toBe('');
    });
  }
});
