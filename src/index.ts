// Library entry: the whole analysis (analyze), and each stage's API with its types.

export type { Frame, CaptureWarning } from './capture/Frame.js';
export { CaptureFormatError } from './capture/Frame.js';
export { CaptureReader } from './capture/CaptureReader.js';
export { readCapture, frames } from './capture/readCapture.js';
export { readCaptures } from './capture/mergeCaptures.js';
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

export { analyze, analyzeAll, analyzeCredentials, analyzeSeparately, analyzeSessionBySession, REPORT_SCHEMA_VERSION } from './analyze.js';
export type { Report, CaptureFacts, AnalyzeOptions, SessionBySessionOptions } from './analyze.js';
export { TcpStage } from './tcp/TcpStage.js';
export type { TcpStageOptions, TcpSegmentAck } from './tcp/TcpStage.js';
export { ReassemblyBudget, DEFAULT_REASSEMBLY_BUDGET_BYTES } from './tcp/ReassemblyBudget.js';
export type { ReassemblyLimits } from './tcp/StreamReassembler.js';
export type * from './tcp/StreamEvents.js';
export { createFtpAnalyzer, mergeFtpReports, hasCleartextCredentials, credentialsOf } from './ftp/FtpAnalyzer.js';
export type { FtpAnalyzer, FtpAnalyzerOptions } from './ftp/FtpAnalyzer.js';
export { redactReport } from './ftp/redact.js';
export type * from './ftp/model.js';
export { renderSessionsText, renderCredentialsText, SessionsTextStream } from './report/ftpSessionText.js';
export { renderReportJson, renderCredentialsJson, reportJsonChunks, ReportJsonStream } from './report/ftpJson.js';
export { renderMarkdown, MarkdownReportStream } from './report/markdown.js';
export { renderHtml, HtmlReportStream } from './report/html.js';
export type { HtmlOptions } from './report/html.js';
export { TcpAnalysis, TCP_ANALYSIS_NAMES, analysisNames, analysisFieldNames } from './tcp/TcpModel.js';
export type {
  TcpConnection, TcpSegmentView, TcpSegmentRef, TcpHandshake, TcpTeardown, TcpSideClose, TcpSideOptions, TcpStreamFigures,
  TcpDirectionFigures, TcpAnalysisCounts, ChecksumStatus, HandshakeRole,
} from './tcp/TcpModel.js';
export type * from './stats/model.js';
export { FileSink } from './extract/FileSink.js';
export type { FileSinkOptions, TransferInfo } from './extract/FileSink.js';
export type * from './extract/Manifest.js';
export { TransferDecoder } from './ftp/data/TransferDecoder.js';
