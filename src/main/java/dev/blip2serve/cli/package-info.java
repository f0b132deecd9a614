/**
 * The command line (picocli): {@code convert}, {@code quantize}, {@code reproduce}, {@code caption}, {@code eval},
 * {@code synth} and {@code bench}. No Spring here: the launcher starts the service for {@code serve} (the default);
 * every error is one line on stderr with exit code 2 for bad input and 1 otherwise.
 */
package dev.blip2serve.cli;
