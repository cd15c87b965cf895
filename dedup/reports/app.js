// The dedup report's application: reads the findings embedded in the page
// (html.py writes them, its docstring gives their layout) and renders the view
// the URL's fragment names. Text from the data only ever enters the page as
// text (textContent, text nodes, attribute values), never as markup.
"use strict";
(async () => {
  const PAGE = 50; // table rows a page

  // --- the data ---------------------------------------------------------------
  async function load() {
    const b64 = document.getElementById("data").textContent;
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }
  const D = await load();
  document.title = D.title;
  const docs = D.docs; // [id, chars, tokens, paragraphs, indexed]
  const byId = new Map(docs.map((d, i) => [d[0], i]));
  const kindName = D.kinds.map((k) => k[0]);
  const textOf = new Map(D.texts.map((t) => [t[0], t]));
  const spansOf = new Map(), origOf = new Map(), clusterOf = new Map(), pairs = new Map();
  const add = (map, key, value) => (map.get(key) || map.set(key, []).get(key)).push(value);
  D.spans.forEach((s, n) => { add(spansOf, s[0], n); add(origOf, s[5], n); });
  const pairKey = (a, b) => (a < b ? a + "," + b : b + "," + a);
  D.clusters.forEach((c, n) => {
    for (const m of c[2]) clusterOf.set(m, n);
    for (const [m, jac, inKept, keptIn] of c[3]) {
      pairs.set(pairKey(m, c[1]), { [m]: inKept, [c[1]]: keptIn, jaccard: jac });
    }
  });
  for (const [a, b, jac, aInB, bInA] of D.related) {
    pairs.set(pairKey(a, b), { [a]: aInB, [b]: bInA, jaccard: jac });
  }
  const dropped = new Map(D.clean.dropped.map((r) => [r[0], r]));
  const cutsOf = new Map();
  D.clean.cuts.forEach((c) => add(cutsOf, c[0], c));
  const why = new Map(D.clean.why);
  // characters of a document inside any duplicated span (each counted once)
  const dupChars = new Map();
  for (const [doc, ns] of spansOf) {
    const r = ns.map((n) => [D.spans[n][1], D.spans[n][2]]).sort((x, y) => x[0] - y[0]);
    let total = 0, reach = 0;
    for (const [s, e] of r) { total += Math.max(0, e - Math.max(s, reach)); reach = Math.max(reach, e); }
    dupChars.set(doc, total);
  }

  // --- small helpers ----------------------------------------------------------
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v);
    }
    for (const kid of kids.flat()) {
      if (kid !== undefined && kid !== null && kid !== false) {
        el.append(kid instanceof Node ? kid : String(kid));
      }
    }
    return el;
  }
  const fmt = (n) => n.toLocaleString("en");
  const pct = (x) => (100 * x).toFixed(1) + "%";
  const plural = (n, noun) => `${fmt(n)} ${noun}${n === 1 ? "" : "s"}`;
  const route = (view, params) => "#" + view + (params ? "?" + new URLSearchParams(params) : "");
  const docLink = (d, params) => h("a", { href: route("doc", { d: docs[d][0], ...params }), dir: "auto" },
    h("bdi", {}, docs[d][0]));
  const pairLink = (a, b, s, label) =>
    h("a", { href: route("pair", { a: docs[a][0], b: docs[b][0], ...(s === undefined ? {} : { s }) }) },
      label || "compare");
  // Code-point offsets (Python's) to UTF-16 ones (the browser's).
  function units(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (i) => i;
    const at = [];
    for (let u = 0; u < text.length; u++) {
      at.push(u);
      const c = text.charCodeAt(u);
      if (c >= 0xd800 && c < 0xdc00 && u + 1 < text.length) {
        const d = text.charCodeAt(u + 1);
        if (d >= 0xdc00 && d < 0xe000) u++;
      }
    }
    at.push(text.length);
    return (i) => at[i];
  }

  // The text with its regions marked: cut where any region starts or ends,
  // each piece an element carrying the keys of every region over it, so
  // overlapping regions need no nesting. A region: {start, end (code points),
  // key, cls, title, href}.
  function marked([, text, , dir], regions) {
    const u = units(text);
    const box = h("div", { class: "text", dir });
    const cuts = new Set([0, text.length]);
    const rs = regions.map((r) => ({ ...r, s: u(r.start), e: u(r.end) })).filter((r) => r.e > r.s);
    for (const r of rs) { cuts.add(r.s); cuts.add(r.e); }
    const points = [...cuts].sort((a, b) => a - b);
    rs.sort((a, b) => a.s - b.s);
    let next = 0, active = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const [s, e] = [points[i], points[i + 1]];
      active = active.filter((r) => r.e > s);
      while (next < rs.length && rs[next].s <= s) active.push(rs[next++]);
      const piece = text.slice(s, e);
      if (!active.length) { box.append(piece); continue; }
      const lead = active.find((r) => r.href) || active[0];
      box.append(h("a", {
        class: "m " + active.map((r) => r.cls).join(" "),
        "data-keys": active.map((r) => r.key).join(" "),
        href: lead.href, title: active.map((r) => r.title).join("\n"),
      }, piece));
    }
    return box;
  }
  function spanTitle(n, self) {
    const s = D.spans[n];
    const of = s[5] === self ? "earlier in this document" : docs[s[5]][0];
    return `${kindName[s[3]]} (${s[8] ? "passage" : "paragraph"}), similarity ${s[4].toFixed(3)}: ` +
      `copies [${s[6]}, ${s[7]}) of \u2068${of}\u2069`;
  }

  // A sortable, filtered, paged table. cols: [label, value(row), cell(row)?, numeric].
  function table(rows, cols, state, onState) {
    const sortCol = state.sort ? Math.abs(+state.sort) - 1 : -1;
    if (sortCol >= 0 && cols[sortCol]) {
      const v = cols[sortCol][1], sign = +state.sort > 0 ? 1 : -1;
      rows = rows.map((r) => [v(r), r]).sort((x, y) => (x[0] < y[0] ? -sign : x[0] > y[0] ? sign : 0))
        .map((x) => x[1]);
    }
    const page = Math.max(1, Math.min(+state.page || 1, Math.ceil(rows.length / PAGE) || 1));
    const shown = rows.slice((page - 1) * PAGE, page * PAGE);
    const head = h("tr", {}, cols.map((c, i) => h("th", {
      class: "sort" + (i === sortCol ? (+state.sort > 0 ? " asc" : " desc") : ""),
      title: "sort", onclick: () => onState({ sort: i === sortCol ? -state.sort : (c[3] ? -(i + 1) : i + 1), page: 1 }),
    }, c[0])));
    const body = shown.map((r) => h("tr", {}, cols.map((c) => h("td", { class: c[3] ? "num" : null },
      (c[2] || c[1])(r)))));
    const pager = h("div", { class: "pager" },
      h("button", { disabled: page <= 1, onclick: () => onState({ page: page - 1 }) }, "‹ previous"),
      h("span", { class: "rows" }, rows.length ? `${fmt((page - 1) * PAGE + 1)}–${fmt((page - 1) * PAGE + shown.length)} of ${fmt(rows.length)}` : "none"),
      h("button", { disabled: page * PAGE >= rows.length, onclick: () => onState({ page: page + 1 }) }, "next ›"));
    return h("div", {}, h("table", {}, head, body), pager);
  }

  // --- views ------------------------------------------------------------------
  const S = D.summary;
  function overview() {
    const spanCount = kindName.map((k, i) => D.spans.filter((s) => s[3] === i).length);
    const groups = new Map(); // where a document comes from: a URL's host, else its folder or file
    docs.forEach((d, i) => {
      const id = d[0];
      let g = /^[a-z]+:\/\/([^/]+)/i.exec(id)?.[1];
      if (!g) { const cut = Math.max(id.lastIndexOf("/"), id.indexOf(":")); g = cut > 0 ? id.slice(0, cut) : "(top)"; }
      const row = groups.get(g) || groups.set(g, { g, docs: 0, chars: 0, dup: 0, found: 0, drop: 0 }).get(g);
      row.docs++; row.chars += d[1]; row.dup += dupChars.get(i) || 0;
      if (dupChars.has(i) || clusterOf.has(i)) row.found++;
      if (dropped.has(i)) row.drop++;
    });
    const hist = (values) => {
      const bins = new Array(20).fill(0);
      for (const v of values) bins[Math.min(19, Math.floor(v * 20))]++;
      const top = Math.max(1, ...bins);
      return h("div", {}, h("div", { class: "bars" }, bins.map((b, i) =>
        h("div", { style: `height:${(100 * b) / top}%`, title: `${(i / 20).toFixed(2)}–${((i + 1) / 20).toFixed(2)}: ${fmt(b)}` }))),
        h("div", { class: "axis muted" }, h("span", {}, "0"), h("span", {}, "0.5"), h("span", {}, "1")));
    };
    const bigClusters = D.clusters.map((c, n) => n).sort((a, b) => D.clusters[b][2].length - D.clusters[a][2].length).slice(0, 10);
    const mostDup = [...dupChars.keys()].sort((a, b) => dupChars.get(b) - dupChars.get(a)).slice(0, 10);
    return [
      h("h1", {}, D.title),
      h("p", { class: "legend" }, D.kinds.map(([k, label, colour]) =>
        h("span", { class: "m k-" + k, style: "background:" + colour }, label)),
        h("span", { class: "m o" }, "text another span copies"), " ",
        h("span", { class: "m cut" }, "what clean removes")),
      h("table", {},
        h("tr", {}, h("th", {}, "documents"), h("td", {}, `${fmt(S.documents)} (${fmt(S.chars)} characters)`)),
        kindName.map((k, i) => h("tr", {}, h("th", {}, h("a", { href: route("spans", { kind: k }) }, `${k} spans`)),
          h("td", {}, `${fmt(spanCount[i])} (${fmt(S.duplicated_chars[k])} characters)`))),
        h("tr", {}, h("th", {}, h("a", { href: route("clusters") }, "near-duplicate clusters")),
          h("td", {}, `${fmt(S.clusters)} (${fmt(S.clustered_documents)} documents; clean drops ${fmt(dropped.size)})`)),
        h("tr", {}, h("th", {}, h("a", { href: route("boilerplate") }, "boilerplate paragraphs")), h("td", {}, fmt(S.boilerplate_paragraphs))),
        D.texts_left_out ? h("tr", {}, h("th", {}, "texts not embedded"), h("td", {}, `${fmt(D.texts_left_out)} documents with findings (past --max-documents, or from the index): their findings are listed, their text is not`)) : null),
      h("h2", {}, "Largest clusters"),
      bigClusters.length ? h("ol", {}, bigClusters.map((n) => h("li", {},
        h("a", { href: route("cluster", { c: D.clusters[n][0] }) }, `cluster ${D.clusters[n][0]}`),
        `: ${fmt(D.clusters[n][2].length)} documents, kept `, docLink(D.clusters[n][1])))) : h("p", { class: "muted" }, "none"),
      h("h2", {}, "Most duplicated documents"),
      mostDup.length ? h("ol", {}, mostDup.map((d) => h("li", {}, docLink(d),
        `: ${fmt(dupChars.get(d))} of ${fmt(docs[d][1])} characters (${pct(dupChars.get(d) / Math.max(1, docs[d][1]))}) in duplicated spans`))) : h("p", { class: "muted" }, "none"),
      h("h2", {}, "Similarity of duplicated spans"), hist(D.spans.map((s) => s[4])),
      h("h2", {}, "Jaccard similarity of near-duplicate documents with their kept one"),
      hist(D.clusters.flatMap((c) => c[3].map((p) => p[1]))),
      h("h2", {}, "Duplication by source"),
      h("p", { class: "muted" }, "A source is a URL's host, else the folder or file in the document's id."),
      table([...groups.values()], [
        ["source", (r) => r.g],
        ["documents", (r) => r.docs, (r) => fmt(r.docs), true],
        ["with findings", (r) => r.found, (r) => fmt(r.found), true],
        ["dropped by clean", (r) => r.drop, (r) => fmt(r.drop), true],
        ["duplicated characters", (r) => r.dup / Math.max(1, r.chars), (r) => `${fmt(r.dup)} (${pct(r.dup / Math.max(1, r.chars))})`, true],
      ], { sort: params.get("sort") || "-2", page: params.get("page") }, update),
    ];
  }

  function clustersView() {
    const q = (params.get("q") || "").toLowerCase();
    const min = +params.get("min") || 2;
    const rows = D.clusters.filter((c) => c[2].length >= min &&
      (!q || c[2].some((m) => docs[m][0].toLowerCase().includes(q))));
    return [
      h("h1", {}, `Near-duplicate clusters (${fmt(D.clusters.length)})`),
      h("div", { class: "tools" },
        h("label", {}, "member id contains ", h("input", { name: "q", value: params.get("q") || "", onchange: (e) => update({ q: e.target.value, page: 1 }) })),
        h("label", {}, "at least ", h("input", { name: "min", type: "number", min: 2, value: min, style: "width:5em", onchange: (e) => update({ min: e.target.value, page: 1 }) }), " documents")),
      table(rows, [
        ["cluster", (c) => c[0], (c) => h("a", { href: route("cluster", { c: c[0] }) }, String(c[0])), true],
        ["documents", (c) => c[2].length, (c) => fmt(c[2].length), true],
        ["kept", (c) => docs[c[1]][0], (c) => docLink(c[1])],
        ["lowest Jaccard with kept", (c) => Math.min(...c[3].map((p) => p[1])), (c) => Math.min(...c[3].map((p) => p[1])).toFixed(3), true],
        ["lowest containment in kept", (c) => Math.min(...c[3].map((p) => p[2])), (c) => Math.min(...c[3].map((p) => p[2])).toFixed(3), true],
      ], { sort: params.get("sort"), page: params.get("page") }, update),
    ];
  }

  function clusterView() {
    const n = D.clusters.findIndex((c) => String(c[0]) === params.get("c"));
    if (n < 0) return [h("p", { class: "error" }, "No such cluster.")];
    const [id, kept, members, ps] = D.clusters[n];
    return [
      h("h1", {}, `Cluster ${id}: ${fmt(members.length)} documents`),
      h("p", {}, "Kept: ", docLink(kept), ". Each member is verified against the kept document directly, never through another member."),
      table(ps, [
        ["member", (p) => docs[p[0]][0], (p) => docLink(p[0])],
        ["characters", (p) => docs[p[0]][1], (p) => fmt(docs[p[0]][1]), true],
        ["Jaccard with kept", (p) => p[1], (p) => p[1].toFixed(3), true],
        ["its containment in kept", (p) => p[2], (p) => p[2].toFixed(3), true],
        ["MinHash estimate", (p) => p[4], (p) => p[4].toFixed(3), true],
        ["", (p) => 0, (p) => pairLink(p[0], kept, undefined, "side by side with kept")],
      ], { sort: params.get("sort"), page: params.get("page") }, update),
    ];
  }

  function spansView() {
    const kind = params.get("kind") || "", q = (params.get("q") || "").toLowerCase();
    const minSim = +params.get("sim") || 0, minSize = +params.get("size") || 0;
    const k = kindName.indexOf(kind);
    const rows = [];
    D.spans.forEach((s, n) => {
      if ((k < 0 || s[3] === k) && s[4] >= minSim && s[2] - s[1] >= minSize &&
        (!q || docs[s[0]][0].toLowerCase().includes(q) || docs[s[5]][0].toLowerCase().includes(q))) rows.push(n);
    });
    const input = (name, label, attrs) => h("label", {}, label, h("input", {
      name, value: params.get(name) || "", ...attrs, onchange: (e) => update({ [name]: e.target.value, page: 1 }) }));
    return [
      h("h1", {}, `Duplicated spans (${fmt(D.spans.length)})`),
      h("div", { class: "tools" },
        h("label", {}, "kind ", h("select", { name: "kind", onchange: (e) => update({ kind: e.target.value, page: 1 }) },
          h("option", { value: "" }, "all"), kindName.map((kn) => h("option", { value: kn, selected: kn === kind }, kn)))),
        input("sim", "similarity at least ", { type: "number", step: "0.01", min: 0, max: 1, style: "width:5em" }),
        input("size", "characters at least ", { type: "number", min: 0, style: "width:6em" }),
        input("q", "document id contains ", {})),
      table(rows, [
        ["document", (n) => docs[D.spans[n][0]][0], (n) => docLink(D.spans[n][0], { s: n })],
        ["span", (n) => D.spans[n][1], (n) => `[${D.spans[n][1]}, ${D.spans[n][2]})`, true],
        ["characters", (n) => D.spans[n][2] - D.spans[n][1], (n) => fmt(D.spans[n][2] - D.spans[n][1]), true],
        ["kind", (n) => D.spans[n][3], (n) => kindName[D.spans[n][3]]],
        ["similarity", (n) => D.spans[n][4], (n) => D.spans[n][4].toFixed(3), true],
        ["copies", (n) => docs[D.spans[n][5]][0], (n) => [docLink(D.spans[n][5]), ` [${D.spans[n][6]}, ${D.spans[n][7]})`]],
        ["", () => 0, (n) => D.spans[n][0] === D.spans[n][5]
          ? h("a", { href: route("doc", { d: docs[D.spans[n][0]][0], s: n, o: 1 }) }, "original")
          : pairLink(D.spans[n][0], D.spans[n][5], n)],
      ], { sort: params.get("sort") || "-3", page: params.get("page") }, update),
    ];
  }

  function documentsView() {
    const q = params.get("q") || "", ql = q.toLowerCase();
    let rows = docs.map((d, i) => i);
    let inText = 0;
    if (q) {
      rows = rows.filter((i) => {
        if (docs[i][0].toLowerCase().includes(ql)) return true;
        const t = textOf.get(i);
        if (t && t[1].includes(q)) { inText++; return true; }
        return false;
      });
    }
    const action = (i) => dropped.has(i) ? "dropped" : cutsOf.has(i) ? `${fmt(cutsOf.get(i).length)} cuts` : "";
    return [
      h("h1", {}, `Documents (${fmt(docs.length)})`),
      h("div", { class: "tools" },
        h("label", {}, "id or text contains ", h("input", { name: "q", value: q, size: 40, onchange: (e) => update({ q: e.target.value, page: 1 }) })),
        q ? h("span", { class: "muted" }, `${fmt(rows.length)} found, ${fmt(inText)} by their text (texts of documents with findings are searched)`) : null),
      table(rows, [
        ["document", (i) => docs[i][0], (i) => docLink(i)],
        ["characters", (i) => docs[i][1], (i) => fmt(docs[i][1]), true],
        ["duplicated characters", (i) => dupChars.get(i) || 0, (i) => fmt(dupChars.get(i) || 0), true],
        ["share duplicated", (i) => (dupChars.get(i) || 0) / Math.max(1, docs[i][1]), (i) => pct((dupChars.get(i) || 0) / Math.max(1, docs[i][1])), true],
        ["spans", (i) => (spansOf.get(i) || []).length, (i) => fmt((spansOf.get(i) || []).length), true],
        ["cluster", (i) => clusterOf.has(i) ? D.clusters[clusterOf.get(i)][0] : -1, (i) => clusterOf.has(i) ? h("a", { href: route("cluster", { c: D.clusters[clusterOf.get(i)][0] }) }, String(D.clusters[clusterOf.get(i)][0])) : "", true],
        ["clean", action, action],
      ], { sort: params.get("sort"), page: params.get("page") }, update),
    ];
  }

  function boilerplateView() {
    return [
      h("h1", {}, `Boilerplate (${fmt(D.boilerplate.length)})`),
      table(D.boilerplate, [
        ["documents", (b) => b[3], (b) => fmt(b[3]), true],
        ["occurrences", (b) => b[4], (b) => fmt(b[4]), true],
        ["first seen", (b) => docs[b[0]][0], (b) => [docLink(b[0]), ` [${b[1]}, ${b[2]})`]],
        ["text", (b) => b[5], (b) => h("bdi", {}, b[5])],
      ], { sort: params.get("sort") || "-1", page: params.get("page") }, update),
    ];
  }

  function whyList(d) {
    const lines = why.get(d);
    return lines ? h("ul", { class: "why" }, lines.map((l) => h("li", {}, l))) : h("p", {}, "dedup clean keeps it as it is: it has no findings.");
  }

  // The regions of document d: its spans (s + n), the text others copy from
  // it (o + n) and what clean cuts (c + n); only those involving `other`
  // when given (the pair view).
  function regions(d, other, hrefOf) {
    const rs = [];
    for (const n of spansOf.get(d) || []) {
      const s = D.spans[n];
      if (other === undefined || s[5] === other) {
        rs.push({ start: s[1], end: s[2], key: "s" + n, cls: "s k-" + kindName[s[3]], title: spanTitle(n, d), href: hrefOf(n, "s") });
      }
    }
    for (const n of origOf.get(d) || []) {
      const s = D.spans[n];
      if (other === undefined || s[0] === other) {
        const by = s[0] === d ? "later in this document" : docs[s[0]][0];
        rs.push({ start: s[6], end: s[7], key: "o" + n, cls: "o", title: `copied by \u2068${by}\u2069 [${s[1]}, ${s[2]})`, href: hrefOf(n, "o") });
      }
    }
    (cutsOf.get(d) || []).forEach((c, i) => rs.push({ start: c[1], end: c[2], key: "c" + i, cls: "cut", title: `clean removes [${c[1]}, ${c[2]}) (${c[3]})` }));
    return rs;
  }

  function docView() {
    const d = byId.get(params.get("d"));
    if (d === undefined) return [h("p", { class: "error" }, "No such document in this report.")];
    const [id, chars, tokens, paras, indexed] = docs[d];
    const t = textOf.get(d);
    const c = clusterOf.get(d);
    const href = (n, side) => {
      const s = D.spans[n];
      if (s[0] === s[5]) return route("doc", { d: id, s: n, ...(side === "s" ? { o: 1 } : {}) });
      return route("pair", { a: docs[s[0]][0], b: docs[s[5]][0], s: n });
    };
    const list = (spansOf.get(d) || []).map((n) => D.spans[n]);
    return [
      h("h1", { dir: "auto" }, h("bdi", {}, id)),
      h("p", { class: "muted" }, `${fmt(chars)} characters, ${fmt(tokens)} tokens, ${fmt(paras)} paragraphs` +
        (indexed ? "; from the persistent index" : "") +
        `; ${plural(list.length, "duplicated span")}, ${fmt((origOf.get(d) || []).length)} copied by others`),
      c !== undefined ? h("p", {}, "Near-duplicate ", h("a", { href: route("cluster", { c: D.clusters[c][0] }) }, `cluster ${D.clusters[c][0]}`),
        ` (${fmt(D.clusters[c][2].length)} documents); kept: `, docLink(D.clusters[c][1]),
        D.clusters[c][1] !== d ? [" — ", pairLink(d, D.clusters[c][1], undefined, "side by side")] : " (this one)") : null,
      h("h2", {}, "What dedup clean does (default settings)"), whyList(d),
      t && D.repetition.length ? h("details", {}, h("summary", {}, "repetition statistics"),
        h("table", {}, D.repetition.map((name, i) => h("tr", {}, h("th", {}, name), h("td", { class: "num" }, t[2][i].toFixed(3)))))) : null,
      h("h2", {}, "Text"),
      t ? marked(t, regions(d, undefined, href)) : h("p", { class: "muted" }, "Its text is not in this report (no findings, or over --max-documents)."),
    ];
  }

  function pairView() {
    const a = byId.get(params.get("a")), b = byId.get(params.get("b"));
    if (a === undefined || b === undefined) return [h("p", { class: "error" }, "No such documents in this report.")];
    const p = pairs.get(pairKey(a, b));
    const sides = [[a, b], [b, a]].map(([d, other]) => {
      const t = textOf.get(d);
      const href = () => null; // marks here align the other side instead of jumping
      const shared = (spansOf.get(d) || []).filter((n) => D.spans[n][5] === other);
      return h("section", { class: "side", "data-doc": docs[d][0] },
        h("h2", { dir: "auto" }, docLink(d)),
        h("p", { class: "muted" }, `${fmt(docs[d][1])} characters; ${plural(shared.length, "span")} copying the other` +
          (p ? `; ${pct(p[d])} of its shingles are in the other` : "")),
        whyList(d),
        t ? marked(t, regions(d, other, href)) : h("p", { class: "muted" }, "Its text is not in this report."));
    });
    const view = [
      h("h1", {}, "Side by side"),
      h("p", {}, p ? `Verified near-duplicates: Jaccard ${p.jaccard.toFixed(3)} of their word-shingle sets.`
        : "Not near-duplicates as wholes: they share the spans marked below."),
      h("p", { class: "muted" }, "Click a mark to bring the text it matches beside it."),
      h("div", { class: "pair" }, sides),
    ];
    after = () => {
      const s = params.get("s");
      if (s !== null) align(document.querySelector(`.side [data-keys~="s${s}"]`));
    };
    return view;
  }

  // Bring the other side's matching text level with `el`, and light both;
  // returns the span's number (undefined for a mark of no span).
  function align(el) {
    if (!el) return undefined;
    const key = el.dataset.keys.split(" ").find((k) => /^[so]/.test(k));
    if (!key) return undefined;
    const n = key.slice(1), twin = (key[0] === "s" ? "o" : "s") + n;
    document.querySelectorAll(".m.hl").forEach((x) => x.classList.remove("hl"));
    document.querySelectorAll(`[data-keys~="s${n}"], [data-keys~="o${n}"]`).forEach((x) => x.classList.add("hl"));
    const mine = el.closest(".text");
    const other = [...document.querySelectorAll(".pair .text")].find((x) => x !== mine);
    const target = other && other.querySelector(`[data-keys~="${twin}"]`);
    el.scrollIntoView({ block: "center" });
    if (target) other.scrollTop += target.getBoundingClientRect().top - el.getBoundingClientRect().top;
    return n;
  }
  document.addEventListener("click", (e) => {
    const el = e.target.closest(".pair .m[data-keys]");
    if (!el) return;
    e.preventDefault();
    const n = align(el);
    if (n !== undefined) update({ s: n }); // the address opens it aligned again
  });

  // --- routing: the fragment names the view; back and forward just work ------
  const VIEWS = { overview, clusters: clustersView, cluster: clusterView, spans: spansView, documents: documentsView, boilerplate: boilerplateView, doc: docView, pair: pairView };
  let params = new URLSearchParams(), after = null;
  const scrolls = new Map(); // where each view was scrolled to when left
  history.scrollRestoration = "manual"; // this script restores it, once the view is drawn
  let renders = 0;
  // Table state (sort, page, filters) replaces the entry: back leaves the view.
  function update(changes) {
    for (const [k, v] of Object.entries(changes)) {
      if (v === "" || v === null || v === undefined) params.delete(k); else params.set(k, v);
    }
    const view = location.hash.slice(1).split("?")[0] || "overview";
    history.replaceState(null, "", "#" + view + "?" + params);
    if (!("s" in changes)) render(false);
  }
  const header = h("header", {},
    h("strong", {}, "dedup"),
    [["overview", "overview"], ["clusters", "clusters"], ["spans", "spans"], ["documents", "documents"], ["boilerplate", "boilerplate"]]
      .map(([v, label]) => h("a", { href: "#" + v, "data-view": v }, label)),
    h("input", { type: "search", id: "search", placeholder: "find a document by id or phrase", onkeydown: (e) => {
      if (e.key === "Enter") location.hash = route("documents", { q: e.target.value });
    } }));
  const main = h("main");
  // each kind's colour (from dedup.models.KINDS, not from the corpus)
  const style = h("style", {}, D.kinds.map(([k, , colour]) => `.k-${k}{background:${colour}}`).join(""));
  document.body.append(style, header, main);
  function render(restore) {
    const [view, query] = location.hash.slice(1).split(/\?(.*)/s);
    params = new URLSearchParams(query || "");
    const name = VIEWS[view] ? view : "overview";
    after = null;
    header.querySelectorAll("a[data-view]").forEach((a) => a.classList.toggle("on", a.dataset.view === name));
    main.replaceChildren(...[VIEWS[name]()].flat(3).filter((x) => x));
    if (after) after();
    document.body.dataset.renders = ++renders; // for tests and scripts: a view was drawn
    if (!restore) return;
    const saved = scrolls.get(location.hash);
    if (saved !== undefined) scrollTo(0, saved);
    else if (name === "doc" && params.has("s")) {
      const key = (params.has("o") ? "o" : "s") + params.get("s");
      const el = main.querySelector(`[data-keys~="${key}"]`);
      if (el) {
        main.querySelectorAll(`[data-keys~="${key}"]`).forEach((x) => x.classList.add("hl"));
        el.scrollIntoView({ block: "center" });
      }
    } else if (name !== "pair") scrollTo(0, 0);
  }
  addEventListener("hashchange", (e) => {
    scrolls.set(new URL(e.oldURL).hash, scrollY);
    render(true);
  });
  render(true);
  document.body.dataset.ready = "1"; // for tests and scripts: the first view is drawn
})().catch((e) => {
  document.body.append(Object.assign(document.createElement("p"), { className: "error", textContent: "This report could not be opened: " + e }));
});
