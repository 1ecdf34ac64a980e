// console_check.mjs - drive the admin web console in Debian's headless Chromium or Firefox
// (puppeteer-core, the system browser: nothing is downloaded). Env: SY_ADMIN_URL, SY_ADMIN_KEY, SY_DP_URL,
// SY_ORG (an org to use), SY_MODEL, SY_SHOTS (screenshot directory), SY_SCENARIO ("flow" or
// "paint"), SY_XSS (a name that must show as text). Prints one JSON object: every step
// {ok, value} or {ok: false, error}, plus every console error, failed request and dialog the
// page produced and every request to anywhere but the controlplane (the Python test fails on
// any).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const env = process.env;
const ADMIN = env.SY_ADMIN_URL;
const shots = env.SY_SHOTS;
fs.mkdirSync(shots, { recursive: true });
const out = { steps: {}, console_errors: [], failed_requests: [], bad_responses: [], dialogs: [],
              external_requests: [], expected_errors: [] };
let expectAuthFailure = false;

async function step(name, fn) {
    try {
        out.steps[name] = { ok: true, value: await fn() };
    } catch (e) {
        out.steps[name] = { ok: false, error: String(e && e.stack || e) };
    }
    return out.steps[name].ok;
}

// SY_BROWSER: "chromium" (default) or "firefox" (Debian's firefox-esr, over WebDriver BiDi)
const FIREFOX = env.SY_BROWSER === "firefox";
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sy-console-" + (FIREFOX ? "firefox-" : "chromium-")));
const browser = FIREFOX
    ? await puppeteer.launch({
          browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true, userDataDir: profile,
          extraPrefsFirefox: {
              // downloads (the CSV export) go to the screenshot directory without asking
              "browser.download.dir": shots, "browser.download.folderList": 2,
              "browser.download.useDownloadDir": true, "browser.download.always_ask_before_handling_new_types": false,
              "browser.helperApps.neverAsk.saveToDisk": "text/csv",
              // nothing but the controlplane: no update, telemetry or safe-browsing traffic
              "app.update.enabled": false, "datareporting.policy.dataSubmissionEnabled": false,
              "browser.safebrowsing.malware.enabled": false, "browser.safebrowsing.phishing.enabled": false,
              "network.captive-portal-service.enabled": false, "network.connectivity-service.enabled": false,
              "intl.accept_languages": "en-US",
              // media emulation is CDP-only: Firefox's pages are dark throughout (phone_dark checks it)
              "layout.css.prefers-color-scheme.content-override": 0,
          },
      })
    : await puppeteer.launch({
          executablePath: "/usr/bin/chromium", headless: true, userDataDir: profile,
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=en-US"],
          downloadBehavior: { policy: "allow", downloadPath: shots },
      });

function watch(page) {
    page.on("console", (m) => {
        if (m.type() !== "error") return;
        (expectAuthFailure && /401/.test(m.text()) ? out.expected_errors : out.console_errors)
            .push(m.text());
    });
    page.on("pageerror", (e) => out.console_errors.push("pageerror: " + String(e)));
    // no CDN, no fonts, nothing but the controlplane itself
    page.on("request", (r) => {
        if (!/^(blob|data):/.test(r.url()) && !r.url().startsWith(ADMIN + "/"))
            out.external_requests.push(r.url());
    });
    page.on("requestfailed", (r) => {
        // the CSV's blob: URL is consumed by the download, which Chromium reports as aborted
        if (!r.url().startsWith("blob:"))
            out.failed_requests.push(r.url() + " " + (r.failure() && r.failure().errorText));
    });
    page.on("response", (r) => {
        if (r.status() < 400) return;
        const rec = r.status() + " " + r.url();
        (expectAuthFailure && r.status() === 401 ? out.expected_errors : out.bad_responses).push(rec);
    });
    page.on("dialog", async (d) => { out.dialogs.push(d.message()); await d.dismiss(); });
}

async function ready(page, name) {
    await page.waitForFunction((n) => {
        const p = document.getElementById("page");
        return p && p.dataset.page === n && p.dataset.ready === "1";
    }, { timeout: 15000 }, name);
}

async function go(page, name) {
    await page.evaluate((n) => { location.hash = "#" + n; }, name);
    await ready(page, name);
}

async function shot(page, name) {
    await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);

async function chat(key) {
    const r = await fetch(env.SY_DP_URL + "/api/v1/chat/completions", {
        method: "POST", headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
        body: JSON.stringify({ model: env.SY_MODEL, messages: [{ role: "user", content: "hi from the console test" }] }),
    });
    const body = await r.json().catch(() => null);
    return { status: r.status, id: body && body.id, cost: body && body.usage && body.usage.cost };
}

async function clickRowButton(page, name, label) {
    const done = await page.evaluate((n, l) => {
        for (const tr of document.querySelectorAll("#keys-table tbody tr")) {
            if (tr.cells[0].textContent !== n) continue;
            for (const b of tr.querySelectorAll("button"))
                if (b.textContent === l) { b.click(); return true; }
        }
        return false;
    }, name, label);
    if (!done) throw new Error(`no ${label} button for key ${name}`);
}

async function flow() {
    const page = await browser.newPage();
    watch(page);
    await page.setViewport({ width: 1366, height: 900 });

    await step("headers", async () => {
        const r = await page.goto(ADMIN + "/ui/", { waitUntil: "load" });
        const h = r.headers();
        return { csp: h["content-security-policy"], xfo: h["x-frame-options"], type: h["content-type"] };
    });
    await step("wrong_key", async () => {
        expectAuthFailure = true;
        await page.type("#signin-key", "sk-sy-mgmt-v1-" + "0".repeat(64));
        await page.click("#signin-form button[type=submit]");
        await page.waitForFunction(() => document.getElementById("signin-error").textContent !== "");
        const msg = await text(page, "#signin-error");
        await shot(page, "signin-wrong-key");
        expectAuthFailure = false;
        return msg;
    });
    await step("sign_in", async () => {
        await page.$eval("#signin-key", (e) => { e.value = ""; });
        await page.type("#signin-key", env.SY_ADMIN_KEY);
        await page.click("#signin-form button[type=submit]");
        await ready(page, "overview");
        return { who: await text(page, "#who"),
                 stored: await page.evaluate(() => Object.keys(sessionStorage)),
                 cookies: (await page.cookies()).length, url: page.url() };
    });
    await step("overview", async () => {
        await page.waitForFunction(() => Chart.getChart("chart-spend") && Chart.getChart("chart-tokens"));
        const t = {};
        for (const w of ["1", "7", "30"])
            t[w] = await page.$eval(`#totals [data-window="${w}"]`, (e) => ({
                spend: e.querySelector(".spend").textContent, requests: e.querySelector(".requests").textContent,
                tokens: e.querySelector(".tokens").textContent }));
        const chart = await page.evaluate(() => {
            const c = Chart.getChart("chart-spend");
            return { datasets: c.data.datasets.map((d) => ({ label: d.label, sum: d.data.reduce((a, b) => a + b, 0) })) };
        });
        const endpoints = await page.$$eval("#endpoints tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
        const tops = await page.$$eval("section.card", (cards) => Object.fromEntries(cards
            .filter((c) => c.querySelector("h2") && c.querySelector("h2").textContent.startsWith("Top "))
            .map((c) => [c.querySelector("h2").textContent, [...c.querySelectorAll("tbody tr")].map((r) => [...r.cells].map((x) => x.textContent))])));
        await shot(page, "overview");
        return { totals: t, chart, endpoints, tops };
    });
    const keyName = "console-key-" + Date.now();
    let plain = null;
    await step("create_key", async () => {
        await go(page, "keys");
        await page.locator("button::-p-text(Create key)").click();
        await page.waitForSelector("#modal");
        await page.type("#modal input[name=name]", keyName);
        await page.select("#modal select[name=org_id]", env.SY_ORG);
        await page.type("#modal input[name=limit]", "5");
        await page.click("#modal-ok");
        await page.waitForSelector("#new-key");
        plain = await text(page, "#new-key");
        await shot(page, "key-created");
        return { plain_prefix: plain.slice(0, 9), len: plain.length,
                 listed: await page.$$eval("#keys-table tbody tr", (rows, n) => rows.some((r) => r.cells[0].textContent === n), keyName) };
    });
    await step("edit_key", async () => {
        await clickRowButton(page, keyName, "Edit");
        await page.waitForSelector("#modal");
        await page.select("#modal select[name=limit_reset]", "monthly");
        await page.type("#modal input[name=rpm]", "120");
        await page.click("#modal-ok");
        await page.waitForFunction((n) => !document.getElementById("modal") && [...document.querySelectorAll("#keys-table tbody tr")].some(
            (r) => r.cells[0].textContent === n && r.cells[6].textContent.includes("120/min")), { timeout: 10000 }, keyName);
        const hash = await page.evaluate((n) => [...document.querySelectorAll("#keys-table tbody tr")]
            .find((r) => r.cells[0].textContent === n).dataset.hash, keyName);
        // what the API now holds (the key is deleted further on)
        const r = await fetch(ADMIN + "/api/v1/keys/" + hash, { headers: { Authorization: "Bearer " + env.SY_ADMIN_KEY } });
        return (await r.json()).data;
    });
    await step("use_key", async () => chat(plain));
    await step("disable_key", async () => {
        await clickRowButton(page, keyName, "Disable");
        await page.waitForFunction((n) => [...document.querySelectorAll("#keys-table tbody tr")].some(
            (r) => r.cells[0].textContent === n && r.cells[3].textContent === "disabled"), { timeout: 10000 }, keyName);
        const deadline = Date.now() + 15000;
        let r;
        do {
            r = await chat(plain);
            if (r.status === 401 || r.status === 403) break;
            await new Promise((res) => setTimeout(res, 200));
        } while (Date.now() < deadline);
        await shot(page, "keys");
        return r;
    });
    await step("delete_key", async () => {
        await clickRowButton(page, keyName, "Delete");
        await page.waitForSelector("#modal");
        await page.click("#modal-ok");
        await page.waitForFunction((n) => ![...document.querySelectorAll("#keys-table tbody tr")].some(
            (r) => r.cells[0].textContent === n), { timeout: 10000 }, keyName);
        return true;
    });
    await step("top_up", async () => {
        await go(page, "orgs");
        const sel = `section.org[data-org="${env.SY_ORG}"]`;
        const before = await text(page, sel + " .total-credits");
        await page.type(sel + " form.topup input[name=amount]", "25");
        await page.type(sel + " form.topup input[name=note]", "console top-up");
        await page.click(sel + " form.topup button[type=submit]");
        await page.waitForFunction((s, b) => {
            const e = document.querySelector(s + " .total-credits");
            return e && e.textContent !== b;
        }, { timeout: 10000 }, sel, before);
        await shot(page, "orgs");
        return { before, after: await text(page, sel + " .total-credits") };
    });
    await step("csv", async () => {
        await go(page, "activity");
        await page.waitForSelector("#generations");
        const rows = await page.$$eval("#generations tbody tr", (r) => r.length);
        const file = path.join(shots, "switchyard-generations.csv");
        fs.rmSync(file, { force: true });
        await page.click("#export-csv");
        const deadline = Date.now() + 10000;
        while (!fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        await page.click("#generations tbody tr");
        await page.waitForSelector("#gen-detail dl");
        const detail = await page.$$eval("#gen-detail dt", (d) => d.map((x) => x.textContent));
        await shot(page, "activity");
        return { rows, page_info: await text(page, "#page-info"), csv: fs.readFileSync(file, "utf8"), detail };
    });
    await step("xss", async () => {
        const seen = {};
        for (const p of ["keys", "orgs", "overview"]) {
            await go(page, p);
            seen[p] = await page.evaluate((x) => document.getElementById("page").textContent.includes(x), env.SY_XSS);
        }
        return { seen, imgs: await page.$$eval("img", (i) => i.length) };
    });
    await step("providers", async () => {
        await go(page, "providers");
        await shot(page, "providers");
        const cells = (sel) => page.$$eval(sel, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
        return { providers: await cells("#providers-table tbody tr"), models: await cells("#models-table tbody tr") };
    });
    await step("phone_dark", async () => {
        await page.setViewport({ width: 390, height: 844 });
        if (!FIREFOX) await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
        await go(page, "overview");
        await page.waitForFunction(() => Chart.getChart("chart-spend"));
        await shot(page, "overview-phone-dark");
        return await page.evaluate(() => ({
            bg: getComputedStyle(document.body).backgroundColor,
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            wide: [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".scroll"))
                .slice(0, 5).map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)),
        }));
    });
    await step("sign_out", async () => {
        await page.click("#signout");
        return await page.evaluate(() => Object.keys(sessionStorage));
    });
}

// First paint with a month of data: a signed-in tab (key already in sessionStorage) opens the
// overview; measured in the browser from navigation start to the overview's data and charts.
async function paint() {
    const page = await browser.newPage();
    watch(page);
    await page.setViewport({ width: 1366, height: 900 });
    await page.goto(ADMIN + "/ui/", { waitUntil: "load" });
    await page.evaluate((k) => sessionStorage.setItem("switchyard.mgmt_key", k), env.SY_ADMIN_KEY);
    await step("paint", async () => {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        // a new query string: a full load each time, not a same-document hash change
        await page.goto(ADMIN + "/ui/?run=" + i + "#overview", { waitUntil: "load" });
        await ready(page, "overview");
        await page.waitForFunction(() => Chart.getChart("chart-spend") && Chart.getChart("chart-tokens"));
        runs.push(await page.evaluate(() => {
            const fcp = performance.getEntriesByName("first-contentful-paint")[0];
            const ready = performance.getEntriesByName("switchyard-ready-overview")[0];
            return { first_contentful_paint_ms: fcp ? fcp.startTime : null, overview_ready_ms: ready.startTime,
                     requests: document.querySelector('#totals [data-window="30"] .requests').textContent };
        }));
      }
      await shot(page, "overview-10k");
      return runs;
    });
}

// An org-scoped management key: every page renders, showing only its org.
async function scoped() {
    const page = await browser.newPage();
    watch(page);
    await page.setViewport({ width: 1366, height: 900 });
    await page.goto(ADMIN + "/ui/", { waitUntil: "load" });
    await page.type("#signin-key", env.SY_SCOPED_KEY);
    await page.click("#signin-form button[type=submit]");
    await ready(page, "overview");
    const seen = { who: await text(page, "#who") };
    for (const p of ["overview", "activity", "keys", "orgs", "providers"]) {
        await step(p, async () => {
            await go(page, p);
            if (p === "activity") await page.waitForSelector("#generations");
            await shot(page, "scoped-" + p);
            return await page.evaluate(() => ({
                text: document.getElementById("page").textContent,
                errors: [...document.querySelectorAll("#page .error")].map((e) => e.textContent).filter((t) => t),
                orgs: [...document.querySelectorAll("[data-org]")].map((e) => e.dataset.org),
                keys: [...document.querySelectorAll("#keys-table tbody tr")].map((r) => r.cells[0].textContent),
                rows: document.querySelectorAll("#generations tbody tr").length,
                buttons: [...document.querySelectorAll("#page button")].map((b) => b.textContent),
            }));
        });
    }
    await step("who", async () => seen.who);
}

try {
    if (env.SY_SCENARIO === "paint") await paint();
    else if (env.SY_SCENARIO === "scoped") await scoped();
    else await flow();
} finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
