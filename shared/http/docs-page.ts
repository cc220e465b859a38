/**
 * A self-contained, readable API reference page rendered from the OpenAPI document
 * (no CDN, no script: it works offline and in a locked-down browser).
 */
type Json = Record<string, unknown>;

const esc = (s: unknown): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function refName(schema: unknown): string {
  if (schema && typeof schema === "object") {
    const s = schema as Json;
    if (typeof s.$ref === "string") return s.$ref.split("/").pop() ?? "";
    if (Array.isArray(s.anyOf)) return s.anyOf.map(refName).join(" | ");
    if (Array.isArray(s.oneOf)) return s.oneOf.map(refName).join(" | ");
    if (s.type === "array") return `${refName(s.items)}[]`;
    if (typeof s.type === "string") return s.type;
  }
  return "object";
}

function link(name: string): string {
  return name
    .split(" | ")
    .map((n) => {
      const bare = n.replace(/\[\]$/, "");
      return /^[A-Z]/.test(bare) ? `<a href="#schema-${esc(bare)}">${esc(n)}</a>` : esc(n);
    })
    .join(" | ");
}

/** The page for `doc`, linking the machine-readable document at `documentUrl`. */
export function renderDocsPage(doc: Json, documentUrl: string): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, unknown>;
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = String(op.operationId ?? `${method}-${path}`);
      // The scope an operation needs is its security requirement's (OpenAPI 3.1 role list).
      const security = (op.security as Record<string, string[]>[] | undefined)?.[0];
      const scope = security ? (Object.values(security)[0]?.[0] ?? "") : "";
      toc.push(
        `<li><a href="#op-${esc(id)}"><code>${esc(method.toUpperCase())} ${esc(path)}</code></a> ${esc(op.summary ?? "")}</li>`,
      );
      const params = ((op.parameters as Json[] | undefined) ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? "yes" : ""}</td><td>${link(refName(p.schema))}</td><td>${esc((p.schema as Json | undefined)?.description ?? p.description ?? "")}</td></tr>`,
        )
        .join("");
      const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
        .map(([status, r]) => {
          const content = (r.content ?? {}) as Record<string, Json>;
          const types = Object.entries(content)
            .map(([type, c]) => `<code>${esc(type)}</code> ${link(refName(c.schema))}`)
            .join("<br>");
          return `<tr><td><b>${esc(status)}</b></td><td>${esc(r.description ?? "")}</td><td>${types}</td></tr>`;
        })
        .join("");
      ops.push(`<section id="op-${esc(id)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary ?? "")}${scope ? ` — scope <code>${esc(scope)}</code>` : " — public"}</p>
${op.description ? `<p>${esc(op.description)}</p>` : ""}
${params ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th>notes</th></tr>${params}</table>` : ""}
${
  body
    ? `<p>Request body: ${Object.entries(body)
        .map(([t, c]) => `<code>${esc(t)}</code> ${link(refName(c.schema))}`)
        .join(", ")}</p>`
    : ""
}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responses}</table>
</section>`);
    }
  }
  const schemaBlocks = Object.entries(schemas)
    .map(
      ([name, s]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><details><summary>JSON Schema</summary><pre>${esc(JSON.stringify(s, null, 2))}</pre></details></section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} — reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f6f8;padding:1rem;overflow:auto}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border:1px solid #dde;padding:.3rem .5rem;text-align:left;vertical-align:top}
section{border-top:1px solid #eee;padding-top:.5rem}.m{color:#fff;padding:0 .4rem;border-radius:3px;font-size:13px}
.get{background:#2b7bb9}.post{background:#2f9e44}.put{background:#e8590c}.delete{background:#c92a2a}
</style></head><body>
<h1>${esc(info.title)} <small>v${esc(info.version)}</small></h1>
<p>${esc(info.description ?? "")}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;api key&gt;</code>. Machine-readable: <a href="${esc(documentUrl)}">openapi.json</a>.</p>
<h2>Operations</h2><ul>${toc.join("")}</ul>
${ops.join("\n")}
<h2>Schemas</h2>
${schemaBlocks}
</body></html>`;
}
