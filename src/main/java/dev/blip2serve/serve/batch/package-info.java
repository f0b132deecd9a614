/**
 * Each variant's bounded queue and micro-batcher: batches of requests with equal generation parameters,
 * per-request deadlines, retry of a failed batch in halves, drain on shutdown. It knows no HTTP: a refusal is a
 * {@code BatchRefusal} with its reason, which the web layer maps onto 429/503 (ArchUnit keeps it so).
 */
package dev.blip2serve.serve.batch;
