/**
 * The variants the service serves: the registry (LOADING / READY / FAILED with reason), background loading with
 * verification and warm-up, the bundled shapes-blip2 bootstrap, readiness, {@code GET /v1/models}, memory gauges
 * and the drain at shutdown.
 */
package dev.blip2serve.serve.model;
