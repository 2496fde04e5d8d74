// `argus mcp` driven by the official MCP TypeScript SDK over stdio, as an MCP-capable
// agent would: initialize, list the tools, call each one on a world scene with the
// committed world models, and the failures a client can cause (bad arguments, unknown
// tool or image id, garbage on stdin, a closed pipe).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const argus = process.env.ARGUS_BIN || path.join(root, "build", "argus");
const shared = path.resolve(root, process.env.ARGUS_SHARED || "../shared");
const world = path.join(root, "models", "world");
const sceneDir = path.join(root, "docs", "images", "world");
const out = path.join(here, "out", "mcp");

// Explicit models, so the test does not depend on where argus looks for its defaults.
function serverArgs(extra = []) {
  return ["--threads", "1", "mcp", "--clip", path.join(world, "clip"), "--detector", path.join(world, "owl"),
          "--segmenter", path.join(world, "sam"), "--vlm", path.join(world, "llava"),
          "--refseg", path.join(shared, "fixtures", "clipseg"), "--index", path.join(out, "index.db"),
          "--image-root", sceneDir, ...extra];
}
const env = { PATH: process.env.PATH, HOME: process.env.HOME || "/tmp" };

function png(data) {
  // PNG signature: 89 50 4E 47 0D 0A 1A 0A.
  return Buffer.from(data, "base64").subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

describe("argus mcp with the MCP SDK", () => {
  let client, transport;

  before(async () => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    const built = spawnSync(argus, ["--threads", "1", "index", "build", "--model", path.join(world, "clip"),
                                    "--images", sceneDir, "--db", path.join(out, "index.db")], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    transport = new StdioClientTransport({ command: argus, args: serverArgs(), env, stderr: "pipe" });
    client = new Client({ name: "argus-web-tests", version: "1.0.0" });
    await client.connect(transport);
  });

  after(async () => {
    await client?.close();
  });

  test("initialize names the server and its tools capability", () => {
    assert.equal(client.getServerVersion().name, "argus");
    assert.ok(client.getServerCapabilities().tools, "tools capability");
  });

  test("lists every tool with an input schema", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ["ask", "caption", "classify", "crop", "detect", "ground", "load_image", "ocr",
                             "refseg", "search", "segment"]);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, "object", t.name);
      assert.ok(t.description, t.name);
    }
  });

  let image;
  test("load_image reads a file under the root and base64 bytes", async () => {
    const byPath = await client.callTool({ name: "load_image", arguments: { path: "scene.png" } });
    assert.equal(byPath.isError, false, JSON.stringify(byPath));
    image = byPath.structuredContent.image;
    assert.match(image, /^image_\d+$/);
    assert.equal(byPath.structuredContent.width, 117);
    const bytes = fs.readFileSync(path.join(sceneDir, "scene.png")).toString("base64");
    const byData = await client.callTool({ name: "load_image", arguments: { data: bytes } });
    assert.equal(byData.isError, false);
    assert.notEqual(byData.structuredContent.image, image);
    const outside = await client.callTool({ name: "load_image", arguments: { path: "../../README.md" } });
    assert.equal(outside.isError, true);
    assert.ok(!outside.content[0].text.includes(sceneDir), "the root is not shown");
  });

  // Each tool on the scene: a result with text and structured content, and the image it
  // made as PNG image content.
  const calls = [
    ["classify", () => ({ image, labels: ["red", "blue", "green"] }), false],
    ["detect", () => ({ image, queries: ["a circle", "a square"] }), true],
    ["segment", () => ({ image, point: [58, 77] }), true],
    ["ground", () => ({ image, phrases: "a shape." }), true],
    ["refseg", () => ({ image, phrase: "a shape" }), true],
    ["crop", () => ({ image, box: [10, 10, 60, 70] }), true],
    ["caption", () => ({ image }), false],
    ["ask", () => ({ image, question: "How many shapes are there?" }), false],
    ["search", () => ({ text: "a red circle", k: 1 }), false],
    ["ocr", () => ({ image }), false],
  ];
  for (const [name, args, makesImage] of calls) {
    test(`calls ${name}`, async () => {
      const r = await client.callTool({ name, arguments: args() });
      assert.equal(r.isError, false, JSON.stringify(r));
      assert.equal(r.content[0].type, "text");
      assert.ok(r.content[0].text.length > 0);
      assert.equal(typeof r.structuredContent, "object");
      const images = r.content.filter((c) => c.type === "image");
      assert.equal(images.length, makesImage ? 1 : 0, JSON.stringify(r.content.map((c) => c.type)));
      if (makesImage) {
        assert.equal(images[0].mimeType, "image/png");
        assert.ok(png(images[0].data), "PNG bytes");
      }
    });
  }

  test("crop gives exactly the box's size", async () => {
    const r = await client.callTool({ name: "crop", arguments: { image, box: [10, 10, 60, 70] } });
    assert.equal(r.structuredContent.width, 50);
    assert.equal(r.structuredContent.height, 60);
  });

  test("bad arguments are a tool error naming the field", async () => {
    const r = await client.callTool({ name: "detect", arguments: { image } });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /queries: is required/);
    const typed = await client.callTool({ name: "crop", arguments: { image, box: "0,0,1,1" } });
    assert.equal(typed.isError, true);
    assert.match(typed.content[0].text, /box: expected array/);
  });

  test("an unknown image id is a tool error naming it", async () => {
    const r = await client.callTool({ name: "crop", arguments: { image: "image_99", box: [0, 0, 4, 4] } });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /no image "image_99"/);
  });

  test("an unknown tool is a protocol error (-32602)", async () => {
    await assert.rejects(client.callTool({ name: "teleport", arguments: {} }),
                         (e) => e instanceof McpError && e.code === -32602);
  });
});

// The raw pipe, below the SDK: what a broken client sends.
function startRaw() {
  const child = spawn(argus, serverArgs(), { env, stdio: ["pipe", "pipe", "pipe"] });
  const lines = [];
  let buffered = "";
  const waiters = [];
  child.stdout.on("data", (d) => {
    buffered += d.toString("utf8");
    for (let nl; (nl = buffered.indexOf("\n")) >= 0;) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
      while (waiters.length && lines.length) waiters.shift()(lines.shift());
    }
  });
  const next = () => new Promise((ok) => (lines.length ? ok(lines.shift()) : waiters.push(ok)));
  const exited = new Promise((ok) => child.on("exit", (code, signal) => ok({ code, signal })));
  return { child, next, exited, send: (s) => child.stdin.write(s + "\n") };
}

describe("argus mcp on a raw pipe", () => {
  test("answers garbage with a parse error and keeps serving", async () => {
    const s = startRaw();
    s.send("this is not json {");
    const e = await s.next();
    assert.equal(e.error.code, -32700);
    assert.equal(e.id, null);
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" }));
    const pong = await s.next();
    assert.equal(pong.id, 7);
    assert.deepEqual(pong.result, {});
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 8, method: "sampling/createMessage", params: {} }));
    assert.equal((await s.next()).error.code, -32601);
    s.child.stdin.end();
    assert.deepEqual(await s.exited, { code: 0, signal: null });
  });

  test("exits cleanly when the client closes the pipe mid-session", async () => {
    const s = startRaw();
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
                            params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } }));
    assert.equal((await s.next()).result.serverInfo.name, "argus");
    // The client stops reading, then sends a request and goes away.
    s.child.stdout.destroy();
    s.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    s.child.stdin.end();
    const { signal } = await s.exited;
    assert.equal(signal, null, "no crash (no SIGPIPE)");
  });
});
