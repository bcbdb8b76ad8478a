// Library entry: the reading and decoding API with its types.
export type { Frame, CaptureWarning } from './capture/Frame.js';
export { CaptureFormatError } from './capture/Frame.js';
export type {
  Packet, LinkInfo, IpInfo, TcpInfo, TcpOptions, UdpInfo, DnsInfo, DnsRecord,
} from './decode/Packet.js';
export { TcpFlag } from './decode/Packet.js';
