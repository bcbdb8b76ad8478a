// Library entry: reading, decoding and the packet list, with their types.

export type { Frame, CaptureWarning } from './capture/Frame.js';
export { CaptureFormatError } from './capture/Frame.js';
export { CaptureReader } from './capture/CaptureReader.js';
export { readCapture, frames } from './capture/readCapture.js';
export type { CaptureSource, ReadCaptureOptions } from './capture/readCapture.js';
export type {
  CaptureFormat, ByteOrder, CaptureInfo, PcapInfo, PcapngInfo, PcapngSection, PcapngInterface,
  CaptureSummary, CaptureReaderOptions,
} from './capture/CaptureInfo.js';

export { PacketDecoder, LinkType, DEFAULT_DECODER_OPTIONS } from './decode/PacketDecoder.js';
export type { DecoderOptions } from './decode/PacketDecoder.js';
export type { ReassemblyStats } from './decode/FragmentReassembler.js';
export type {
  Packet, LinkInfo, IpInfo, TcpInfo, TcpOptions, UdpInfo, DnsInfo, DnsRecord,
} from './decode/Packet.js';
export { TcpFlag } from './decode/Packet.js';

export { listPackets } from './packets.js';
export type { ListPacketsOptions } from './packets.js';
export { PacketList, PACKET_FILTERS, tcpFlagsText } from './report/PacketList.js';
export type { PacketRow, PacketFilter } from './report/PacketList.js';
