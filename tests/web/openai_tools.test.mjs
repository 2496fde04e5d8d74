// The official OpenAI Node SDK's function calling and structured output against
// `argus serve`. The fixture model has random weights and never chooses to call a tool, so
// calls are forced with tool_choice: constrained decoding makes even noise a valid call.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import OpenAI from "openai";

import { apiKey, apiUrl, models } from "./common.mjs";

const client = new OpenAI({ baseURL: apiUrl, apiKey: apiKey || "unused", maxRetries: 0, timeout: 120_000 });
const model = models.tools;

const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather at a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
    },
  },
}];

function checkArguments(call) {
  assert.equal(call.type, "function");
  assert.equal(call.function.name, "get_weather");
  assert.ok(call.id, "the call has an id");
  const args = JSON.parse(call.function.arguments);
  assert.equal(typeof args.city, "string");
  assert.ok(["celsius", "fahrenheit"].includes(args.unit), args.unit);
}

describe("function calling", () => {
  test("a forced call, its result, then the final answer", async () => {
    const messages = [{ role: "user", content: "What is the weather in Paris?" }];
    const first = await client.chat.completions.create({
      // Greedy: sampled from random weights, an argument string may run past max_tokens.
      model, messages, tools, max_tokens: 64, temperature: 0,
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    const choice = first.choices[0];
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    checkArguments(call);

    messages.push(choice.message);
    messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 22 }) });
    const final = await client.chat.completions.create({ model, messages, tools, max_tokens: 8, temperature: 0 });
    assert.equal(typeof final.choices[0].message.content, "string");
    assert.ok(["stop", "length", "tool_calls"].includes(final.choices[0].finish_reason));
  });

  test("a tool result that answers no call is refused", async () => {
    await assert.rejects(
      client.chat.completions.create({
        model, tools, max_tokens: 4,
        messages: [{ role: "user", content: "Hi" }, { role: "tool", tool_call_id: "call_nope", content: "22" }],
      }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === "messages[1].tool_call_id",
    );
  });

  test("streamed tool calls, assembled by the SDK's stream helper", async () => {
    const stream = client.chat.completions.stream({
      model, tools, max_tokens: 64, temperature: 0, tool_choice: "required",
      messages: [{ role: "user", content: "Weather in Rome?" }],
    });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.tool_calls.length, 1);
    checkArguments(choice.message.tool_calls[0]);
  });
});

describe("structured output", () => {
  test("response_format json_schema: the SDK parses the answer", async () => {
    const completion = await client.chat.completions.parse({
      model, max_tokens: 96, temperature: 1, seed: 5,
      messages: [{ role: "user", content: "Describe a shape." }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "shape",
          strict: true,
          schema: {
            type: "object",
            properties: {
              shape: { enum: ["circle", "square", "star"] },
              sides: { type: "integer" },
              colours: { type: "array", items: { type: "string", maxLength: 8 }, maxItems: 2 },
            },
            required: ["shape", "sides", "colours"],
            additionalProperties: false,
          },
        },
      },
    });
    const parsed = completion.choices[0].message.parsed;
    assert.ok(parsed && typeof parsed === "object", JSON.stringify(completion.choices[0].message));
    assert.ok(["circle", "square", "star"].includes(parsed.shape));
    assert.ok(Number.isInteger(parsed.sides));
    assert.ok(Array.isArray(parsed.colours) && parsed.colours.length <= 2);
  });

  test("a schema outside the supported subset is refused by name", async () => {
    await assert.rejects(
      client.chat.completions.create({
        model, max_tokens: 4, messages: [{ role: "user", content: "Hi" }],
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "string", pattern: "^a" } } },
      }),
      (e) => e instanceof OpenAI.BadRequestError && /'pattern' is not supported/.test(e.message),
    );
  });
});
