/**
 * Captured traffic: the capture formats (Tandem JSONL, GoReplay, HAR), the capture writer, and the replay engine
 * that sends a capture again against any pair of targets and reports what differed. A capture keeps the HTTP
 * version the client spoke and each answer's trailers ({@link dev.tandem.replay.TandemFormat}); replay sends
 * HTTP/2 and gRPC calls over HTTP/2 and compares trailers as headers ({@link dev.tandem.replay.Replayer}).
 */
package dev.tandem.replay;
