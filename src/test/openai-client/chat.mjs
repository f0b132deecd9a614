// Calls the service through the official openai SDK (pinned in package.json) and prints one JSON line with what it
// got back: dev.blip2serve.serve.OpenAiSdkTest compares it with /v1/captions.
// Usage: node chat.mjs <base-url, e.g. http://127.0.0.1:8080/v1> <image.png>
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const [baseURL, imagePath] = process.argv.slice(2);
if (!baseURL || !imagePath) {
  console.error('usage: node chat.mjs <base-url> <image.png>');
  process.exit(2);
}
// The service needs no key; the SDK insists on one. No retries: the test wants the first answer.
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 300_000 });
const image = { type: 'image_url', image_url: { url: `data:image/png;base64,${readFileSync(imagePath).toString('base64')}` } };
const user = (text) => [{ role: 'user', content: text ? [{ type: 'text', text }, image] : [image] }];

async function failure(call) {
  try {
    await call();
    return { status: 200 };
  } catch (e) {
    if (!(e instanceof OpenAI.APIError)) throw e;
    return { status: e.status, type: e.type, code: e.code, param: e.param, message: e.message, is_not_found: e instanceof OpenAI.NotFoundError, is_bad_request: e instanceof OpenAI.BadRequestError };
  }
}

const out = {};
const caption = await client.chat.completions.create({ model: 'shapes-blip2:fp32', messages: user(), max_completion_tokens: 20 });
out.caption = { id: caption.id, object: caption.object, model: caption.model, text: caption.choices[0].message.content, role: caption.choices[0].message.role, finish_reason: caption.choices[0].finish_reason, usage: caption.usage };

const fp16 = await client.chat.completions.create({ model: 'shapes-blip2:fp16', messages: user(), max_tokens: 20 });
out.fp16 = fp16.choices[0].message.content;

const question = await client.chat.completions.create({ model: 'shapes-blip2', messages: user('what color is the background?'), max_completion_tokens: 4 });
out.question = question.choices[0].message.content;

const two = await client.chat.completions.create({ model: 'shapes-blip2:fp32', messages: user(), n: 2, max_completion_tokens: 20 });
out.n2 = two.choices.map((c) => c.message.content);

const stream = await client.chat.completions.create({ model: 'shapes-blip2:fp32', messages: user(), max_completion_tokens: 20, stream: true, stream_options: { include_usage: true } });
let text = '';
let chunks = 0;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.object !== 'chat.completion.chunk') throw new Error(`unexpected chunk object ${chunk.object}`);
  for (const c of chunk.choices) {
    text += c.delta?.content ?? '';
    finish = c.finish_reason ?? finish;
  }
  if (chunk.usage) usage = chunk.usage;
}
out.stream = { text, chunks, finish_reason: finish, usage };

out.unknown_model = await failure(() => client.chat.completions.create({ model: 'gpt-4o', messages: user() }));
const bad = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from('not an image').toString('base64')}` } }] }];
out.bad_image = await failure(() => client.chat.completions.create({ model: 'shapes-blip2:fp32', messages: bad }));

const models = [];
for await (const m of client.models.list()) models.push({ id: m.id, object: m.object, owned_by: m.owned_by, created: m.created });
out.models = models;

console.log(JSON.stringify(out));
