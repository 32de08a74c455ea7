// The status page without reloading: every second it asks /status.json and
// writes the answer into the server-rendered page. Text only goes in through
// textContent, never as HTML. Without this script the page refreshes itself.
"use strict";

(function () {
  const every = 1000;

  function field(root, name) {
    return root.querySelector('[data-field="' + name + '"]');
  }

  function setText(el, text) {
    if (el && el.textContent !== text) {
      el.textContent = text;
    }
  }

  function show(el, text) {
    if (!el) {
      return;
    }
    setText(el, text || "");
    el.hidden = !text;
  }

  // healthClass follows healthClass in view.go.
  function healthClass(text) {
    if (text === "healthy") {
      return "health-ok";
    }
    return text === "–" ? "health-none" : "health-bad";
  }

  function dash(s) {
    return s ? s : "–";
  }

  function row(cells, className) {
    const tr = document.createElement("tr");
    if (className) {
      tr.className = className;
    }
    for (const c of cells) {
      const td = document.createElement("td");
      const text = typeof c === "object" ? c.text : c;
      td.textContent = String(text);
      if (typeof c === "object" && c.className) {
        td.className = c.className;
      }
      tr.appendChild(td);
    }
    return tr;
  }

  function emptyRow(colspan, text) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = colspan;
    td.className = "empty";
    td.textContent = text;
    tr.appendChild(td);
    return tr;
  }

  function replaceRows(tbody, rows) {
    if (tbody) {
      tbody.replaceChildren(...rows);
    }
  }

  // sameShape says whether the page has the services and slots of the
  // answer; a reloaded configuration needs the whole page again.
  function sameShape(data) {
    const sections = document.querySelectorAll("section[data-service]");
    if (sections.length !== data.services.length) {
      return false;
    }
    return data.services.every(function (svc, i) {
      const sec = sections[i];
      if (sec.dataset.service !== svc.service) {
        return false;
      }
      const rows = sec.querySelectorAll("tr[data-slot]");
      return rows.length === svc.slots.length &&
        svc.slots.every(function (sl, j) { return rows[j].dataset.slot === sl.slot; });
    });
  }

  // typing says whether the operator has started filling in a form, which a
  // reload would throw away.
  function typing() {
    return Array.from(document.querySelectorAll("form input")).some(function (el) { return el.value !== ""; });
  }

  function updateSlot(tr, sl) {
    tr.classList.toggle("is-live", sl.live);
    field(tr, "badge").hidden = !sl.live;
    const status = field(tr, "status");
    setText(status, sl.status);
    status.className = "status-" + sl.status;
    setText(field(tr, "reason"), sl.reason || "");
    setText(field(tr, "release"), dash(sl.release));
    const health = field(tr, "health");
    setText(health, sl.health_text);
    health.className = healthClass(sl.health_text);
    setText(field(tr, "rate"), sl.rate_text);
    setText(field(tr, "error-rate"), sl.error_rate_text);
    setText(field(tr, "in-flight"), String(sl.in_flight));
  }

  function updateService(sec, svc) {
    setText(field(sec, "live"), dash(svc.live));
    setText(field(sec, "previous"), dash(svc.previous));
    setText(field(sec, "preview"), dash(svc.preview));
    show(field(sec, "busy"), svc.busy_text);
    show(field(sec, "maintenance"), svc.maintenance_text);
    show(field(sec, "pause"), svc.pause_text);
    show(field(sec, "duties"), svc.duties_text);

    const rows = sec.querySelectorAll("tr[data-slot]");
    svc.slots.forEach(function (sl, i) { updateSlot(rows[i], sl); });

    const instances = [];
    for (const sl of svc.slots) {
      for (const inst of sl.instances || []) {
        instances.push(row([sl.slot, {text: inst.index, className: "num"}, {text: inst.port, className: "num"},
          {text: inst.pid, className: "num"}, {text: inst.health_text, className: healthClass(inst.health_text)},
          {text: inst.restarts, className: "num"}, inst.ejected_text, {text: inst.requests, className: "num"}]));
      }
    }
    replaceRows(field(sec, "instances"), instances.length ? instances : [emptyRow(8, "no instance runs")]);

    const history = svc.history.map(function (e) {
      return row([e.time_text, e.op, e.move_text, e.actor, e.result, e.reason || "", e.error || ""], "result-" + e.result);
    });
    replaceRows(field(sec, "history"), history.length ? history : [emptyRow(7, svc.history_error || "nothing yet")]);

    const rollback = sec.querySelector('button[data-action="rollback"]');
    if (rollback) {
      rollback.hidden = !svc.previous;
      setText(field(rollback, "rollback-to"), svc.previous || "");
    }
    for (const sl of svc.slots) {
      for (const b of sec.querySelectorAll('button[data-action="switch"]')) {
        if (b.dataset.to === sl.slot) {
          b.hidden = !sl.switchable;
        }
      }
    }
  }

  function update(data) {
    if (!sameShape(data)) {
      if (!typing()) {
        window.location.reload();
      }
      return;
    }
    setText(field(document, "generated"), data.generated_text);
    const sections = document.querySelectorAll("section[data-service]");
    data.services.forEach(function (svc, i) { updateService(sections[i], svc); });
  }

  async function poll() {
    const stale = field(document, "stale");
    try {
      const resp = await fetch("/status.json", {cache: "no-store", headers: {Accept: "application/json"}});
      if (!resp.ok) {
        throw new Error("status " + resp.status);
      }
      update(await resp.json());
      stale.hidden = true;
    } catch (err) {
      stale.hidden = false;
    }
    window.setTimeout(poll, every);
  }

  window.setTimeout(poll, every);
})();
