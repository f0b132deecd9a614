/**
 * The model repository, the contract between convert/quantize, the service and eval: one folder per variant with
 * a {@code manifest.json} (source hash, method, calibration, how each graph computes, files with SHA-256, quality).
 * Verification here is what lets the service refuse a broken variant and keep serving the others.
 */
package dev.blip2serve.repository;
