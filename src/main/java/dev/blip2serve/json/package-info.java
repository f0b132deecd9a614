/**
 * The project's JSON convention in one place (snake_case keys, fixed order), so that no writer picks its own.
 * Jackson only: every layer that writes JSON may use it.
 */
package dev.blip2serve.json;
