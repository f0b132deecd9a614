/**
 * The caption routes ({@code POST /v1/captions}, {@code :compare}, {@code :stream}) in their input forms, the request
 * parameters and their one parser, and the Micrometer meters per stage and precision.
 */
package dev.blip2serve.serve.caption;
