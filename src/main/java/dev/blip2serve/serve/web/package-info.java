/**
 * What every route shares on the wire: request ids, problem+json (RFC 9457) with stable types for every error,
 * including the domain outcomes of the lower layers (a queue's {@code BatchRefusal}) mapped onto problems here and
 * nowhere else, bounded body reading and the JSON body refusals every JSON route shares ({@code JsonBody}),
 * multipart limits and the OpenAPI document.
 */
package dev.blip2serve.serve.web;
