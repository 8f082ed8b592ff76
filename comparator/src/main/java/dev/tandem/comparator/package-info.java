/**
 * Compares what the primary and the shadow answered: the exchange model, response diffs, rules, noise
 * cancellation, endpoint grouping, latency statistics, result stores and the database-effects verifier.
 * Depends only on Vert.x core and the PostgreSQL client; nothing here knows about the proxy.
 */
package dev.tandem.comparator;
