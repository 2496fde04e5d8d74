// Settings shared by the web tests, from the environment that run.sh sets up.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../..");
export const outDir = path.join(here, "out");

export const sharedDir = path.resolve(repoRoot, process.env.ARGUS_SHARED || "../shared");
export const imagesDir = path.join(sharedDir, "assets", "images");

// e.g. http://127.0.0.1:8080/v1
export const apiUrl = (process.env.ARGUS_URL || "").replace(/\/+$/, "");
if (!apiUrl) throw new Error("set ARGUS_URL to the server's API base, e.g. http://127.0.0.1:8080/v1 (run.sh does)");
export const serverUrl = apiUrl.replace(/\/v1$/, "");
export const apiKey = process.env.ARGUS_API_KEY || "";

export const models = {
  chat: process.env.ARGUS_CHAT_MODEL || "llava",
  embed: process.env.ARGUS_EMBED_MODEL || "clip",
  detect: process.env.ARGUS_DETECT_MODEL || "owlvit",
  segment: process.env.ARGUS_SEGMENT_MODEL || "sam",
  // A second chat model: the llava fixture under a tool-calling template (run.sh).
  tools: process.env.ARGUS_TOOL_MODEL || "tooled",
};

export function imagePath(name) {
  return path.join(imagesDir, name);
}

export function dataUri(name) {
  const ext = path.extname(name).slice(1).toLowerCase();
  const type = ext === "jpg" ? "jpeg" : ext;
  return `data:image/${type};base64,` + fs.readFileSync(imagePath(name)).toString("base64");
}
