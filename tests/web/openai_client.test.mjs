// The official OpenAI Node SDK against `argus serve`. The fixture models have random
// weights, so the text is noise: these tests check shapes and consistency, not content.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import OpenAI from "openai";

import { apiKey, apiUrl, dataUri, models } from "./common.mjs";

const client = new OpenAI({ baseURL: apiUrl, apiKey: apiKey || "unused", maxRetries: 0, timeout: 120_000 });

const served = (process.env.ARGUS_MODELS || Object.values(models).join(",")).split(",").filter(Boolean);

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("models", () => {
  test("models.list names every served model with its role", async () => {
    const list = [];
    for await (const m of client.models.list()) list.push(m);
    const ids = list.map((m) => m.id);
    for (const name of served) assert.ok(ids.includes(name), `${name} in ${ids}`);
    const roles = Object.fromEntries(list.map((m) => [m.id, m.argus && m.argus.role]));
    assert.equal(roles[models.chat], "chat");
    assert.equal(roles[models.embed], "embeddings");
    assert.equal(roles[models.detect], "detection");
    assert.equal(roles[models.segment], "segmentation");
    for (const m of list) assert.equal(m.object, "model");
  });
});

describe("chat completions", () => {
  const request = {
    model: models.chat,
    messages: [{ role: "user", content: "Say something about cats." }],
    temperature: 0,
    max_tokens: 8,
  };

  test("non-streamed and streamed answers agree at temperature 0", async () => {
    const plain = await client.chat.completions.create(request);
    assert.equal(plain.object, "chat.completion");
    assert.equal(plain.model, models.chat);
    assert.equal(plain.choices.length, 1);
    const choice = plain.choices[0];
    assert.equal(choice.message.role, "assistant");
    assert.equal(typeof choice.message.content, "string");
    assert.ok(["stop", "length"].includes(choice.finish_reason), choice.finish_reason);
    assert.ok(plain.usage.prompt_tokens > 0);
    assert.ok(plain.usage.completion_tokens > 0 && plain.usage.completion_tokens <= 8);
    assert.equal(plain.usage.total_tokens, plain.usage.prompt_tokens + plain.usage.completion_tokens);

    const chunks = await collect(
      await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }),
    );
    assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
    for (const c of chunks) {
      assert.equal(c.object, "chat.completion.chunk");
      assert.equal(c.id, chunks[0].id);
    }
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    const withChoice = chunks.filter((c) => c.choices.length);
    const text = withChoice.map((c) => c.choices[0].delta.content || "").join("");
    assert.equal(text, choice.message.content);
    assert.equal(withChoice.at(-1).choices[0].finish_reason, choice.finish_reason);
    const usage = chunks.at(-1).usage;
    assert.ok(usage, "the last chunk carries usage (stream_options.include_usage)");
    assert.deepEqual(usage, plain.usage);
  });

  test("an image_url part (data: URI) is read by the vision tower", async () => {
    const textOnly = await client.chat.completions.create({ ...request, max_tokens: 1 });
    const withImage = await client.chat.completions.create({
      ...request,
      max_tokens: 4,
      messages: [{
        role: "user",
        content: [
          { type: "image_url", image_url: { url: dataUri("dog.jpg") } },
          { type: "text", text: "Say something about cats." },
        ],
      }],
    });
    assert.equal(typeof withImage.choices[0].message.content, "string");
    // The image's placeholder expands to the vision tower's tokens.
    assert.ok(withImage.usage.prompt_tokens > textOnly.usage.prompt_tokens + 100,
              `${withImage.usage.prompt_tokens} vs ${textOnly.usage.prompt_tokens}`);
  });

  test("a multi-turn conversation with a system message", async () => {
    const r = await client.chat.completions.create({
      ...request,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Hi." },
        { role: "user", content: "Again?" },
      ],
    });
    assert.equal(typeof r.choices[0].message.content, "string");
  });
});

describe("completions", () => {
  test("a string prompt, plain and streamed", async () => {
    const request = { model: models.chat, prompt: "Once upon a time", temperature: 0, max_tokens: 8 };
    const plain = await client.completions.create(request);
    assert.equal(plain.object, "text_completion");
    assert.equal(plain.choices.length, 1);
    assert.equal(typeof plain.choices[0].text, "string");
    assert.ok(plain.usage.prompt_tokens > 0);
    assert.ok(plain.usage.completion_tokens > 0 && plain.usage.completion_tokens <= 8);

    const chunks = await collect(await client.completions.create({ ...request, stream: true }));
    assert.equal(chunks.map((c) => c.choices[0].text).join(""), plain.choices[0].text);
    assert.equal(chunks.at(-1).choices[0].finish_reason, plain.choices[0].finish_reason);
  });
});

describe("embeddings", () => {
  const input = ["a photo of a dog", "a red truck"];

  function checkVectors(r) {
    assert.equal(r.object, "list");
    assert.equal(r.data.length, input.length);
    r.data.forEach((d, i) => {
      assert.equal(d.index, i);
      assert.ok(Array.isArray(d.embedding) && d.embedding.length > 0);
      assert.equal(d.embedding.length, r.data[0].embedding.length);
      for (const v of d.embedding) assert.ok(Number.isFinite(v), `${v} is finite`);
    });
    return r.data.map((d) => d.embedding);
  }

  test("text embeddings (the SDK asks for base64) match the float encoding", async () => {
    const viaBase64 = checkVectors(await client.embeddings.create({ model: models.embed, input }));
    const viaFloat = checkVectors(await client.embeddings.create({ model: models.embed, input, encoding_format: "float" }));
    for (let i = 0; i < input.length; i++) {
      // CLIP's projections are L2-normalised.
      const norm = Math.hypot(...viaBase64[i]);
      assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
      viaBase64[i].forEach((v, k) => assert.ok(Math.abs(v - viaFloat[i][k]) < 1e-6, `${v} vs ${viaFloat[i][k]}`));
    }
    assert.notDeepEqual(viaBase64[0], viaBase64[1]);
  });

  test("a single string input", async () => {
    const r = await client.embeddings.create({ model: models.embed, input: "a dog" });
    assert.equal(r.data.length, 1);
    assert.ok(r.data[0].embedding.length > 0);
  });
});

describe("errors", () => {
  test("an unknown model is a 404 NotFoundError", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] }),
      (e) => {
        assert.ok(e instanceof OpenAI.NotFoundError, e.constructor.name);
        assert.ok(e instanceof OpenAI.APIError);
        assert.equal(e.status, 404);
        assert.equal(e.code, "model_not_found");
        assert.match(e.message, /no-such-model/);
        return true;
      },
    );
  });

  test("a model of the wrong role and an unsupported parameter are 400s", async () => {
    await assert.rejects(
      client.embeddings.create({ model: models.chat, input: "x" }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400,
    );
    await assert.rejects(
      client.chat.completions.create({ model: models.chat, n: 2, messages: [{ role: "user", content: "hi" }] }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "n",
    );
  });
});
