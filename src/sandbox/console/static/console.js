// The sandbox console page: plain browser JavaScript, no build step, no network beyond this origin.
// Everything it shows comes from /_sandbox/console/* (JSON) and /_sandbox/console/events (SSE).

const $ = (sel) => document.querySelector(sel);

/** Creates an element: h("li", {class: "x", onclick}, "text", child…). Text is never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`);
  return data;
}

const time = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
const fullTime = (ms) => {
  const d = new Date(ms);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
};

const state = {
  platforms: [],
  platform: undefined,
  as: "",
  chatId: undefined,
  accounts: [],
  view: "chat",
  traffic: [],
  selectedTraffic: undefined,
};

const current = () => state.platforms.find((p) => p.id === state.platform);
const has = (feature) => current()?.features.includes(feature);

function notice(text, error = false) {
  const li = h("li", { class: error ? "error" : "" }, `${time(Date.now())} ${text}`);
  $("#notices").prepend(li);
}

// ── platforms and views ──────────────────────────────────────────────────────

async function loadPlatforms() {
  const { platforms } = await api("GET", "/_sandbox/console/platforms");
  state.platforms = platforms;
  const nav = $("#platforms");
  nav.replaceChildren(
    ...platforms.map((p) =>
      h(
        "button",
        {
          type: "button",
          dataset: { platform: p.id },
          disabled: !p.available,
          title: p.available ? p.url : `${p.title}: console provider not available yet`,
          onclick: () => selectPlatform(p.id),
        },
        p.title,
        p.available ? "" : " (soon)",
      ),
    ),
  );
  const select = $("#traffic-filter [name=platform]");
  for (const p of platforms.filter((x) => x.available)) select.append(h("option", { value: p.id }, p.title));
  const wanted = new URLSearchParams(location.hash.slice(1)).get("platform");
  const first = platforms.find((p) => p.available && p.id === wanted) ?? platforms.find((p) => p.available);
  if (first) await selectPlatform(first.id);
}

async function selectPlatform(id) {
  state.platform = id;
  state.chatId = undefined;
  state.as = "";
  for (const b of document.querySelectorAll("#platforms button"))
    b.classList.toggle("active", b.dataset.platform === id);
  $("#chat-title").textContent = "Pick a chat";
  $("#messages").replaceChildren();
  state.accountsKey = undefined;
  renderNewChatForm();
  await Promise.all([loadAccounts(), loadChats()]);
  updateCompose();
  await refreshView();
}

function showView(view) {
  state.view = view;
  for (const b of document.querySelectorAll("#views button"))
    b.classList.toggle("active", b.dataset.view === view);
  for (const v of document.querySelectorAll(".view")) v.classList.toggle("active", v.id === `view-${view}`);
  refreshView().catch((e) => notice(e.message, true));
}

async function refreshView() {
  if (state.view === "inbox") await loadInbox();
  if (state.view === "files") await loadFiles();
  if (state.view === "tables") await loadTables();
  if (state.view === "traffic") renderTraffic();
}

// ── accounts and chats ───────────────────────────────────────────────────────

async function loadAccounts() {
  if (!has("accounts")) {
    state.accounts = [];
  } else {
    state.accounts = (await api("GET", `/_sandbox/console/${state.platform}/accounts`)).accounts;
  }
  const label = (a) => `${a.name} (${a.detail ?? a.id})`;
  $("#as-select").replaceChildren(
    h("option", { value: "" }, "(admin view: everything)"),
    ...state.accounts.map((a) => h("option", { value: a.id, selected: a.id === state.as }, label(a))),
  );
  $("#accounts").replaceChildren(
    ...state.accounts.map((a) =>
      h(
        "li",
        {
          dataset: { accountId: a.id },
          class: a.id === state.as ? "active" : "",
          onclick: () => setAs(a.id),
        },
        h("span", {}, h("span", { class: a.online ? "dot on" : "dot" }), a.name),
        h("small", {}, a.detail ?? a.id),
      ),
    ),
  );
  // Forms keep what the user is typing unless the set of accounts really changed.
  const key = state.accounts.map((a) => a.id).join(",");
  if (key === state.accountsKey) return;
  state.accountsKey = key;
  $("#new-chat [name=members]").replaceChildren(
    ...state.accounts.map((a) => h("option", { value: a.id }, label(a))),
  );
  renderFaultForms();
}

async function setAs(id) {
  state.as = id;
  $("#as-select").value = id;
  for (const li of document.querySelectorAll("#accounts li"))
    li.classList.toggle("active", li.dataset.accountId === id);
  await loadChats();
  if (state.chatId && !document.querySelector(`#chats li[data-chat-id="${CSS.escape(state.chatId)}"]`)) {
    state.chatId = undefined;
    $("#chat-title").textContent = "Pick a chat";
    $("#messages").replaceChildren();
  }
  updateCompose();
  if (state.chatId) await loadMessages();
}

async function loadChats() {
  if (!has("chats")) {
    $("#chats").replaceChildren(h("li", { class: "muted" }, "no chats view for this platform"));
    return;
  }
  const q = state.as ? `?as=${encodeURIComponent(state.as)}` : "";
  const { chats } = await api("GET", `/_sandbox/console/${state.platform}/chats${q}`);
  $("#chats").replaceChildren(
    ...chats.map((c) =>
      h(
        "li",
        {
          dataset: { chatId: c.id, kind: c.kind },
          class: c.id === state.chatId ? "active" : "",
          onclick: () => openChat(c),
        },
        h("span", {}, c.title),
        h("small", {}, c.kind, c.members ? ` · ${c.members}` : ""),
      ),
    ),
  );
}

async function openChat(chat) {
  state.chatId = chat.id;
  $("#chat-title").textContent = `${chat.title} (${chat.kind} ${chat.id})`;
  for (const li of document.querySelectorAll("#chats li"))
    li.classList.toggle("active", li.dataset.chatId === chat.id);
  showView("chat");
  updateCompose();
  await loadMessages();
}

async function loadMessages() {
  if (!state.chatId) return;
  const q = new URLSearchParams({ limit: "200" });
  if (state.as) q.set("as", state.as);
  let messages;
  try {
    ({ messages } = await api(
      "GET",
      `/_sandbox/console/${state.platform}/chats/${encodeURIComponent(state.chatId)}/messages?${q}`,
    ));
  } catch (e) {
    $("#messages").replaceChildren(h("li", { class: "muted" }, e.message));
    return;
  }
  const list = $("#messages");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
  list.replaceChildren(
    ...messages.map((m) =>
      h(
        "li",
        {
          class: m.authorId === state.as ? "msg mine" : "msg",
          dataset: { messageId: m.id, authorId: m.authorId },
        },
        h("div", { class: "meta" }, `${m.authorName} · ${time(m.time)}${m.edited ? " · edited" : ""}`),
        h("div", { class: "text" }, m.text),
        ...(m.attachments ?? []).map(renderAttachment),
      ),
    ),
  );
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderAttachment(a) {
  if (a.previewUrl && (a.mime ?? "").startsWith("image/"))
    return h(
      "a",
      { href: a.previewUrl, target: "_blank" },
      h("img", { src: a.previewUrl, alt: a.name ?? a.type }),
    );
  if (a.previewUrl)
    return h("div", {}, "📎 ", h("a", { href: a.previewUrl, target: "_blank" }, a.name ?? a.type));
  return h("div", { class: "muted" }, `[${a.type}${a.name ? `: ${a.name}` : ""}]`);
}

function updateCompose() {
  const can = Boolean(has("send") && state.as && state.chatId);
  $("#compose-text").disabled = !can;
  $("#compose-send").disabled = !can;
  const who = state.accounts.find((a) => a.id === state.as);
  $("#compose-text").placeholder = !has("send")
    ? "Writing is not available for this platform yet"
    : !state.as
      ? "Choose who you are in “Act as” to write"
      : !state.chatId
        ? "Pick a chat"
        : `Write as ${who?.name ?? state.as}…`;
  $("#compose-send").textContent = who ? `Send as ${who.name}` : "Send";
}

$("#as-select").addEventListener("change", (e) =>
  setAs(e.target.value).catch((err) => notice(err.message, true)),
);

$("#compose").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $("#compose-text");
  const text = input.value;
  if (!text.trim()) return;
  try {
    await api("POST", `/_sandbox/console/${state.platform}/messages`, {
      as: state.as,
      chatId: state.chatId,
      text,
    });
    input.value = "";
    await loadMessages();
  } catch (err) {
    notice(`send failed: ${err.message}`, true);
    alert(err.message);
  }
});

/** The "+" form offers what this platform's console can create (nothing: no button). */
function renderNewChatForm() {
  const kinds = has("createChat") ? (current()?.chatKinds ?? []) : [];
  const toggle = $("#new-chat-toggle");
  toggle.hidden = kinds.length === 0;
  toggle.title = `Create a ${kinds.join(" or ")}`;
  const form = $("#new-chat");
  if (kinds.length === 0) form.hidden = true;
  const field = (name) => form.querySelector(`[name=${name}]`);
  field("kind").replaceChildren(...kinds.map((k) => h("option", { value: k }, k)));
  field("title").placeholder = state.platform === "vklive" ? "Channel url (A-Z a-z 0-9 _ . -)" : "Title";
  field("members").title =
    state.platform === "vklive" ? "Followers (Ctrl/⌘-click)" : "Members (Ctrl/⌘-click)";
}

$("#new-chat-toggle").addEventListener("click", () => {
  $("#new-chat").hidden = !$("#new-chat").hidden;
});
$("#new-chat").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  if (!state.as) return alert("Choose who creates it in “Act as” first.");
  const members = [...form.members.selectedOptions].map((o) => o.value).filter((v) => v !== state.as);
  try {
    const { chatId } = await api("POST", `/_sandbox/console/${state.platform}/chats`, {
      as: state.as,
      kind: form.kind.value,
      title: form.title.value,
      members,
    });
    form.reset();
    form.hidden = true;
    await loadChats();
    notice(`created ${chatId}`);
  } catch (err) {
    alert(err.message);
  }
});

// ── inbox ────────────────────────────────────────────────────────────────────

async function loadInbox() {
  const { items } = await api("GET", "/_sandbox/console/inbox");
  const pending = items.filter((i) => i.status === "pending" || i.status === "new").length;
  const badge = $("#inbox-badge");
  badge.hidden = pending === 0;
  badge.textContent = String(pending);
  $("#inbox tbody").replaceChildren(
    ...items.map((i) =>
      h(
        "tr",
        { dataset: { inboxId: i.id, kind: i.kind, status: i.status } },
        h("td", {}, time(i.time)),
        h("td", {}, i.platform),
        h("td", {}, i.kind),
        h("td", {}, i.to),
        h("td", {}, h("code", { class: "value" }, i.value ?? "")),
        h("td", { class: "status" }, i.status),
        h(
          "td",
          {},
          i.confirmable
            ? h(
                "button",
                {
                  type: "button",
                  class: "primary",
                  dataset: { confirm: i.id },
                  onclick: () => confirmItem(i),
                },
                "Confirm",
              )
            : "",
        ),
      ),
    ),
  );
}

async function confirmItem(item) {
  if (item.platform !== state.platform || !state.as) {
    alert(`Choose a ${item.platform} account in “Act as” first: the login is confirmed as that user.`);
    return;
  }
  try {
    await api("POST", `/_sandbox/console/${item.platform}/inbox/${encodeURIComponent(item.id)}/confirm`, {
      as: state.as,
    });
    notice(`confirmed ${item.kind} ${item.id} as ${state.as}`);
  } catch (err) {
    notice(`confirm failed: ${err.message}`, true);
  }
  await loadInbox();
}

// ── traffic ──────────────────────────────────────────────────────────────────

const TRAFFIC_SHOWN = 1000;

function trafficFilter() {
  const f = new FormData($("#traffic-filter"));
  return {
    platform: f.get("platform"),
    account: String(f.get("account") ?? "").trim(),
    opcode: String(f.get("opcode") ?? "")
      .trim()
      .toLowerCase(),
    path: String(f.get("path") ?? "").trim(),
    dir: f.get("dir"),
    follow: f.get("follow") === "on",
  };
}

function matches(r, f) {
  if (f.platform && r.platform !== f.platform) return false;
  if (f.account && r.account !== f.account) return false;
  if (f.dir && r.dir !== f.dir) return false;
  if (f.opcode) {
    if (
      /^\d+$/.test(f.opcode)
        ? String(r.opcode) !== f.opcode
        : !(r.opcodeName ?? "").toLowerCase().includes(f.opcode)
    )
      return false;
  }
  if (f.path && !(r.path ?? "").includes(f.path)) return false;
  return true;
}

function trafficRow(r) {
  const what =
    r.opcode !== undefined ? `${r.opcode} ${r.opcodeName ?? ""}` : `${r.method ?? ""} ${r.path ?? ""}`;
  return h(
    "tr",
    {
      dataset: { trafficId: r.id, opcode: r.opcode ?? "", dir: r.dir },
      class: r.id === state.selectedTraffic ? "selected" : "",
      onclick: (e) => {
        state.selectedTraffic = r.id;
        for (const tr of document.querySelectorAll("#traffic tr.selected")) tr.classList.remove("selected");
        e.currentTarget.classList.add("selected");
        $("#traffic-detail").textContent = JSON.stringify(r, null, 2);
      },
    },
    h("td", {}, fullTime(r.time)),
    h("td", { class: `dir-${r.dir}` }, r.dir === "in" ? "→ in" : "← out"),
    h("td", {}, r.platform),
    h("td", {}, r.account ?? ""),
    h("td", {}, what),
    h("td", {}, `${r.size} B`),
    h("td", {}, r.summary ?? (r.status ? String(r.status) : "")),
  );
}

function renderTraffic() {
  const f = trafficFilter();
  const rows = state.traffic.filter((r) => matches(r, f)).slice(-TRAFFIC_SHOWN);
  $("#traffic tbody").replaceChildren(...rows.map(trafficRow));
  if (f.follow) scrollTrafficDown();
}

function scrollTrafficDown() {
  const table = $("#traffic");
  table.scrollTop = table.scrollHeight;
}

function onTraffic(r) {
  state.traffic.push(r);
  if (state.traffic.length > 5000) state.traffic.splice(0, state.traffic.length - 5000);
  if (state.view !== "traffic") return;
  const f = trafficFilter();
  if (!matches(r, f)) return;
  const body = $("#traffic tbody");
  body.append(trafficRow(r));
  while (body.children.length > TRAFFIC_SHOWN) body.firstElementChild.remove();
  if (f.follow) scrollTrafficDown();
}

async function loadTraffic() {
  const { records } = await api("GET", "/_sandbox/console/traffic?limit=5000");
  const seen = new Set(state.traffic.map((r) => r.id));
  state.traffic = [...records.filter((r) => !seen.has(r.id)), ...state.traffic].sort((a, b) => a.id - b.id);
}

$("#traffic-filter").addEventListener("input", () => renderTraffic());
$("#traffic-filter").addEventListener("submit", (e) => e.preventDefault());
$("#traffic-clear").addEventListener("click", async () => {
  await api("DELETE", "/_sandbox/console/traffic");
  state.traffic = [];
  renderTraffic();
});

// ── faults ───────────────────────────────────────────────────────────────────

function renderFaultForms() {
  const p = current();
  const box = $("#faults");
  if (!p || p.faults.length === 0) {
    box.replaceChildren(h("p", { class: "muted" }, "No fault injection for this platform yet."));
    return;
  }
  box.replaceChildren(
    ...p.faults.map((fa) => {
      const fields = fa.fields.map((f) => {
        let input;
        if (f.type === "account") {
          input = h(
            "select",
            { name: f.name },
            h("option", { value: "" }, "everyone"),
            ...state.accounts.map((a) => h("option", { value: a.id }, `${a.name} (${a.id})`)),
          );
        } else if (f.type === "select") {
          input = h(
            "select",
            { name: f.name },
            ...(f.options ?? []).map((o) =>
              h("option", { value: o, selected: String(o) === String(f.default) }, o),
            ),
          );
        } else {
          input = h("input", {
            name: f.name,
            type: f.type === "number" ? "number" : "text",
            value: f.default ?? "",
            required: !f.optional,
            size: f.type === "number" ? 7 : 22,
          });
        }
        return h("label", {}, f.label, input);
      });
      return h(
        "form",
        {
          dataset: { fault: fa.action },
          onsubmit: async (e) => {
            e.preventDefault();
            const body = { action: fa.action };
            for (const [k, v] of new FormData(e.target)) body[k] = v;
            for (const f of fa.fields)
              if (f.type === "number" && body[f.name] !== "") body[f.name] = Number(body[f.name]);
            try {
              const res = await api("POST", `/_sandbox/console/${p.id}/faults`, body);
              if (res.dropped !== undefined) notice(`${fa.label}: ${res.dropped} dropped`);
            } catch (err) {
              notice(`${fa.label} failed: ${err.message}`, true);
            }
          },
        },
        h("h3", {}, fa.label),
        ...fields,
        h("button", { type: "submit", class: "primary" }, fa.label),
      );
    }),
  );
}

// ── files and tables ─────────────────────────────────────────────────────────

async function loadFiles() {
  if (!has("files")) {
    $("#files").replaceChildren(h("p", { class: "muted" }, "No stored files for this platform."));
    return;
  }
  const { files } = await api("GET", `/_sandbox/console/${state.platform}/files`);
  $("#files").replaceChildren(
    ...(files.length ? [] : [h("p", { class: "muted" }, "Nothing uploaded yet.")]),
    ...files.map((f) =>
      h(
        "div",
        { class: "file", dataset: { fileId: f.id } },
        f.mime.startsWith("image/")
          ? h("a", { href: f.previewUrl, target: "_blank" }, h("img", { src: f.previewUrl, alt: f.name }))
          : "",
        h("a", { href: f.previewUrl, target: "_blank" }, f.name),
        h("div", { class: "muted" }, `${f.mime} · ${f.size} B · by ${f.ownerId ?? "?"}`),
      ),
    ),
  );
}

async function loadTables() {
  if (!has("tables")) {
    $("#tables").replaceChildren(h("p", { class: "muted" }, "Nothing to list for this platform."));
    return;
  }
  const { tables } = await api("GET", `/_sandbox/console/${state.platform}/tables`);
  const cell = (v) => {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") return h("code", {}, JSON.stringify(v));
    return String(v);
  };
  $("#tables").replaceChildren(
    ...tables.map((t) =>
      h(
        "section",
        { dataset: { table: t.id } },
        h("h3", {}, `${t.title} (${t.rows.length})`),
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ...t.columns.map((c) => h("th", {}, c)))),
          h("tbody", {}, ...t.rows.map((r) => h("tr", {}, ...t.columns.map((c) => h("td", {}, cell(r[c])))))),
        ),
      ),
    ),
  );
}

// ── live feed ────────────────────────────────────────────────────────────────

let refetch;
function scheduleRefresh(chatId) {
  clearTimeout(refetch);
  refetch = setTimeout(async () => {
    try {
      await Promise.all([loadChats(), loadAccounts()]);
      if (state.chatId && (!chatId || chatId === state.chatId)) await loadMessages();
      if (state.view === "tables" || state.view === "files") await refreshView();
    } catch (e) {
      notice(e.message, true);
    }
  }, 60);
}

function connectLive() {
  const es = new EventSource("/_sandbox/console/events");
  const live = $("#live");
  es.addEventListener("hello", () => {
    live.textContent = "live";
    live.className = "live on";
    loadTraffic()
      .then(() => state.view === "traffic" && renderTraffic())
      .catch(() => {});
  });
  es.onerror = () => {
    live.textContent = "reconnecting…";
    live.className = "live off";
  };
  es.addEventListener("traffic", (e) => onTraffic(JSON.parse(e.data)));
  es.addEventListener("changed", (e) => {
    const d = JSON.parse(e.data);
    if (d.platform === state.platform) scheduleRefresh(d.chatId);
  });
  es.addEventListener("inbox", () => loadInbox().catch(() => {}));
  es.addEventListener("notice", (e) => {
    const d = JSON.parse(e.data);
    notice(`${d.platform}: ${d.text}`);
  });
}

for (const b of document.querySelectorAll("#views button"))
  b.addEventListener("click", () => showView(b.dataset.view));

connectLive();
loadPlatforms()
  .then(() => loadInbox())
  .catch((e) => notice(e.message, true));
