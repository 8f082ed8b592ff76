/**
 * Captured traffic: the capture formats (Tandem JSONL, GoReplay, HAR), the capture writer, and the replay engine
 * that sends a capture again against any pair of targets and reports what differed.
 */
package dev.tandem.replay;
