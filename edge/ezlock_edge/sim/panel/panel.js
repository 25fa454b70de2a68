// The simulator's front panel. It only talks to the /sim/v1 control surface: it reads
// GET /sim/v1/panel a few times a second and sends each thing a person does as
// POST /sim/v1/<action>, exactly like `ezlock-edge sim` and the tests do.
"use strict";

const POLL_MS = 250;
const LONG_PRESS_MS = 800;
const KEYBOARD = {Backspace: "back", Escape: "back", Enter: "confirm"};

const $ = (selector) => document.querySelector(selector);

// Actions run one after another, so keys arrive in the order they were pressed.
let pending = Promise.resolve();

function act(action, body = {}) {
  const run = async () => {
    try {
      const response = await fetch(`/sim/v1/${action}`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(body),
      });
      const reply = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw new Error(reply.error || `${response.status} ${response.statusText}`);
      }
      showError(null);
    } catch (err) {
      showError(`${action}: ${err.message}`);
    }
  };
  pending = pending.then(run);
  return pending;
}

function showError(message) {
  const box = $("#error");
  box.hidden = message === null;
  box.textContent = message ?? "";
}

// -- keypad --------------------------------------------------------------------------

function setUpKeypad() {
  for (const key of document.querySelectorAll("[data-key]")) {
    let timer = null;
    let held = false;
    key.addEventListener("pointerdown", (event) => {
      event.stopPropagation();
      held = false;
      timer = setTimeout(() => {
        timer = null;
        held = true;
        act("keypad", {hold: key.dataset.key});
      }, LONG_PRESS_MS);
    });
    const release = (press) => {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
        if (press) {
          act("keypad", {keys: [key.dataset.key]});
        }
      }
    };
    key.addEventListener("pointerup", () => release(!held));
    key.addEventListener("pointerleave", () => release(false));
    key.addEventListener("pointercancel", () => release(false));
    // A keyboard user activates the focused key with Space or Enter.
    key.addEventListener("click", (event) => {
      if (event.detail === 0) {
        act("keypad", {keys: [key.dataset.key]});
      }
    });
  }
  // Touching the glass anywhere wakes the keypad without pressing a key.
  $("#keypad").addEventListener("pointerdown", () => act("keypad", {keys: []}));
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement) {
      return;
    }
    if (target instanceof HTMLButtonElement && (event.key === "Enter" || event.key === " ")) {
      return;  // the focused button's own click handles it
    }
    const key = /^[0-9]$/.test(event.key) ? event.key : KEYBOARD[event.key];
    if (key !== undefined) {
      event.preventDefault();
      act("keypad", {keys: [key]});
    }
  });
}

// -- everything else a person does ---------------------------------------------------

function identity() {
  return $("#identity").value.trim();
}

const BODIES = {
  finger: () => ({id: identity()}),
  face: () => ({id: identity(), spoof: $("#spoof").checked}),
  palm: () => ({id: identity(), spoof: $("#spoof").checked}),
  bluetooth: () => ({key: $("#bt-key").value.trim()}),
  mechanical_key: (button) => ({turn: button.dataset.turn}),
  door: (button) => ({state: button.dataset.state}),
  set_button: (button) => ({press: button.dataset.press}),
  lock_button: () => ({}),
  jam: () => ({next: true}),
};

function setUpClock() {
  for (const button of document.querySelectorAll("[data-skip]")) {
    button.addEventListener("click", () => act("clock", {advance: Number(button.dataset.skip)}));
  }
  $("#skip").addEventListener("click", () =>
    act("clock", {advance: Number($("#skip-seconds").value)}));
}

function renderClock(clock) {
  if (clock === undefined) {
    return;
  }
  const now = new Date(clock.now);
  const time = $("#clock-now");
  time.dateTime = clock.now;
  setText("#clock-now", now.toLocaleString());
  setText("#clock-kind", clock.manual ? "manual" : "real");
  $("#time").dataset.manual = String(clock.manual);
  $("#clock-hint").hidden = clock.manual;
  for (const button of document.querySelectorAll("#time button")) {
    button.disabled = !clock.manual;
  }
}

function setUpControls() {
  for (const button of document.querySelectorAll("[data-act]")) {
    const action = button.dataset.act;
    button.addEventListener("click", () => act(action, BODIES[action](button)));
  }
  $("#fingerprint-reader").addEventListener("click", () => act("finger", BODIES.finger()));
  const slider = $("#battery-slider");
  slider.addEventListener("input", () => { $("#battery-out").textContent = `${slider.value} %`; });
  slider.addEventListener("change", () => act("battery", {percent: Number(slider.value)}));
  $("#tamper").addEventListener("change", (event) => act("tamper", {removed: event.target.checked}));
  $("#emergency").addEventListener("change", (event) => act("emergency_power", {connected: event.target.checked}));
}

// -- what the lock shows -------------------------------------------------------------

function setText(selector, text) {
  const element = $(selector);
  if (element.textContent !== text) {
    element.textContent = text;
  }
}

function setState(selector, state) {
  setText(selector, state);
  $(selector).dataset.state = state;
}

function light(element, mode) {
  element.classList.toggle("lit", mode === "on");
  element.classList.toggle("blink", mode === "blink");
}

let transcriptSignature = "";

function renderTranscript(prompts) {
  const last = prompts.at(-1);
  const signature = last ? `${prompts.length}|${last.time}|${last.prompt}` : "";
  if (signature === transcriptSignature) {
    return;
  }
  transcriptSignature = signature;
  const list = $("#transcript");
  list.replaceChildren(...prompts.map((prompt) => {
    const item = document.createElement("li");
    item.dataset.prompt = prompt.prompt;
    const time = document.createElement("time");
    time.dateTime = prompt.time;
    time.textContent = new Date(prompt.time).toLocaleTimeString();
    item.append(time, " ", prompt.text);
    return item;
  }));
  list.scrollTop = list.scrollHeight;
}

function renderLinks(links) {
  const body = $("#links");
  for (const [name, link] of Object.entries(links)) {
    let row = body.querySelector(`tr[data-link="${name}"]`);
    if (row === null) {
      row = $("#link-row").content.firstElementChild.cloneNode(true);
      row.dataset.link = name;
      row.querySelector(".name").textContent = name;
      row.querySelector(".plug").addEventListener("click", () =>
        act(row.dataset.plugged === "true" ? "unplug" : "replug", {link: name}));
      row.querySelector(".noise").addEventListener("change", (event) =>
        act("noise", {link: name, rate: Number(event.target.value)}));
      body.append(row);
    }
    row.dataset.plugged = String(link.plugged);
    row.querySelector(".plug").textContent = link.plugged ? "unplug" : "plug in";
    const noise = row.querySelector(".noise");
    if (document.activeElement !== noise) {
      noise.value = String(link.noise_rate);
    }
    row.querySelector(".damaged").textContent = String(link.damaged_bytes);
  }
}

function syncInput(selector, property, value) {
  const input = $(selector);
  if (document.activeElement !== input && input[property] !== value) {
    input[property] = value;
  }
}

function render(panel) {
  const leds = panel.leds ?? {};
  $("#front").classList.toggle("awake", panel.awake);
  for (const key of document.querySelectorAll("[data-key]")) {
    light(key, leds[key.dataset.key]);
  }
  light($("#led-low-battery"), leds.low_battery);
  $("#siren").hidden = !panel.siren;

  setState("#bolt", panel.bolt);
  setState("#door", panel.door);
  $("#door-frame").dataset.bolt = panel.bolt;
  $("#door-frame").dataset.door = panel.door;
  const battery = `${panel.battery_percent} %${panel.low_battery ? " (low)" : ""}`;
  setText("#battery", battery);
  setText("#power", panel.emergency_power ? "power bank (USB-C)" : "battery");
  setText("#volume", panel.volume === 0 ? "muted" : String(panel.volume));
  setText("#wifi", panel.wifi_enabled ? "on" : "off");
  setText("#bluetooth", panel.bluetooth);
  setText("#tamper-state", panel.tamper ? "front panel removed" : "no");

  syncInput("#battery-slider", "value", String(panel.battery_percent));
  if (document.activeElement !== $("#battery-slider")) {
    setText("#battery-out", `${panel.battery_percent} %`);
  }
  syncInput("#tamper", "checked", panel.tamper);
  syncInput("#emergency", "checked", panel.emergency_power);

  renderTranscript(panel.prompts ?? []);
  renderLinks(panel.links ?? {});
  renderClock(panel.clock);
}

function setOnline(online) {
  const badge = $("#link-status");
  badge.classList.toggle("offline", !online);
  badge.textContent = online ? "live" : "simulator unreachable";
  document.body.dataset.online = String(online);
}

async function poll() {
  try {
    const response = await fetch("/sim/v1/panel", {cache: "no-store"});
    if (!response.ok) {
      throw new Error(response.statusText);
    }
    render(await response.json());
    setOnline(true);
  } catch {
    setOnline(false);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

async function readLabel() {
  try {
    const response = await fetch("/sim/v1/label", {cache: "no-store"});
    const label = await response.json();
    setText("#label-model", label.model);
    setText("#label-serial", label.serial);
    setText("#label-code", label.verification_code);
  } catch {
    setTimeout(readLabel, 1000);
  }
}

setUpKeypad();
setUpControls();
setUpClock();
readLabel();
poll();
