// app-stub's page in headless Chromium (SPEC §9), driven by
// tests/integration/browser.sh, which starts pitstopd and prepares the data.
//
// usage: node load.mjs URL OUTDIR PHASE
//   errors  the profile list shows "alice"; "Load all data" with no backup
//           yet shows pitstopd's 404 and unblocks the page; "Save all data"
//           shows the new backup's id (printed as "saved=ID" for the caller).
//   load    "alice" is not listed; "Load all data" turns the gear into a
//           spinner and blocks the page before the restore request is even
//           sent (it is held here until the checks are done), a double
//           click and further clicks send one restore only, and the page
//           reloads on its own, served by a new process, listing "alice".
//
// Prints one "ok - ..." or "FAIL: ..." line per check, like lib.sh, and
// screenshots into OUTDIR. Exits 1 if a check failed.
import { chromium } from 'playwright-core';
import path from 'node:path';

const [url, outdir, phase] = process.argv.slice(2);
if (!url || !outdir || !['errors', 'load'].includes(phase)) {
  console.error('usage: node load.mjs URL OUTDIR errors|load');
  process.exit(2);
}

let failed = 0;
function check(what, cond) {
  if (cond) console.log(`ok - ${what}`);
  else {
    console.log(`FAIL: ${what}`);
    failed = 1;
  }
}
const shot = (page, name) =>
  page.screenshot({ path: path.join(outdir, name), fullPage: true });
const names = (page) => page.locator('#profiles .name').allTextContents();

// What the page looks like right now, read in one go inside the page.
const state = (page) => page.evaluate(() => {
  const shown = (el) => el !== null && !el.hidden &&
    getComputedStyle(el).display !== 'none' &&
    el.getBoundingClientRect().width > 0;
  const buttons = [...document.querySelectorAll('button, input')];
  return {
    pid: document.body.dataset.pid,
    spinner: shown(document.querySelector('#gear .spinner')),
    gearIcon: shown(document.querySelector('#gear .icon')),
    overlay: shown(document.getElementById('overlay')),
    menu: shown(document.getElementById('menu')),
    allDisabled: buttons.every((b) => b.disabled),
    noneDisabled: buttons.every((b) => !b.disabled),
    busy: document.body.getAttribute('aria-busy'),
    note: document.getElementById('note').textContent,
    noteError: document.getElementById('note').className === 'error',
  };
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  chromiumSandbox: false,		// --no-sandbox: we may run as root
  args: ['--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 640, height: 420 } });
page.setDefaultTimeout(30000);
const jsErrors = [];
page.on('pageerror', (e) => jsErrors.push(String(e)));

try {
  await page.goto(url);
  const first = await state(page);
  const health = await (await page.request.get(url + '/healthz')).json();
  check(`the page carries its serving pid (${first.pid})`,
    first.pid === String(health.pid));
  check('the gear is a button named Settings',
    await page.getByRole('button', { name: 'Settings' }).isVisible());
  check('the menu starts closed', !first.menu);
  await page.getByRole('button', { name: 'Settings' }).click();
  check('the gear opens the menu',
    await page.getByRole('button', { name: 'Save all data' }).isVisible() &&
    await page.getByRole('button', { name: 'Load all data' }).isVisible());

  if (phase === 'errors')
    await errors(page);
  else
    await load(page, first.pid);
  check(`no JavaScript errors (${jsErrors.join('; ')})`, jsErrors.length === 0);
} catch (e) {
  check(`the browser test ran to its end: ${e}`, false);
  await shot(page, `failure-${phase}.png`).catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed);

async function errors(page) {
  check(`the profile list shows alice (${await names(page)})`,
    (await names(page)).includes('alice'));
  await shot(page, 'menu.png');
  await page.keyboard.press('Escape');
  check('Escape closes the menu', !(await state(page)).menu);

  // The add form and a delete button, with a name that is also markup.
  const odd = '<i>bob</i> & "co"';
  await page.getByLabel('Name').fill(odd);
  let reloaded = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Add profile' }).click();
  await reloaded;
  check(`the form adds a profile, shown as text (${await names(page)})`,
    (await names(page)).includes(odd) &&
    await page.locator('#profiles i').count() === 0);
  reloaded = page.waitForEvent('load');
  await page.getByRole('button', { name: `Delete ${odd}` }).click();
  await reloaded;
  check(`its Delete button deletes it (${await names(page)})`,
    !(await names(page)).includes(odd));
  await page.getByRole('button', { name: 'Settings' }).click();

  await page.getByRole('button', { name: 'Load all data' }).click();
  await page.locator('#note.error').waitFor();
  let s = await state(page);
  check(`a load without a backup shows the error: "${s.note}"`,
    /\(404\)/.test(s.note) && /no backup/.test(s.note));
  check('and unblocks the page', !s.overlay && s.noneDisabled && !s.spinner &&
    s.gearIcon && s.busy === 'false');
  await shot(page, 'error.png');

  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Save all data' }).click();
  await page.locator('#note', { hasText: /^Saved: backup / }).waitFor();
  s = await state(page);
  const id = s.note.replace(/^Saved: backup /, '');
  check(`"Save all data" shows the backup id (${id})`, /^\d{8}T/.test(id));
  check('and unblocks the page', !s.overlay && s.noneDisabled && !s.noteError);
  console.log(`saved=${id}`);
}

async function load(page, oldPid) {
  check(`alice is not listed before the load (${await names(page)})`,
    !(await names(page)).includes('alice'));

  // Hold every restore request before it leaves the browser, so what the
  // page does "at once" is checked before the request is even answered.
  let restores = 0, release;
  const gate = new Promise((done) => { release = done; });
  await page.route('**/explicit-restore', async (route) => {
    if (route.request().method() === 'POST') restores++;
    await gate;
    await route.continue();
  });

  const load = page.getByRole('button', { name: 'Load all data' });
  const box = await load.boundingBox();
  const reloaded = page.waitForEvent('load', { timeout: 60000 });
  await load.dblclick();		// the second click must do nothing
  const s = await state(page);
  check('the gear turned into a spinner at once', s.spinner && !s.gearIcon);
  check('the overlay blocks the page', s.overlay && s.busy === 'true');
  check('every button and field is disabled', s.allDisabled);
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  check('what was the Load button is now under the overlay',
    await page.evaluate(([x, y]) =>
      document.elementFromPoint(x, y).closest('#overlay') !== null, [cx, cy]));
  await shot(page, 'loading.png');

  // More attempts while blocked: a click where Load was, a forced click on
  // the gear, and a script's click() on the Load button.
  await page.mouse.click(cx, cy);
  await page.locator('#gear').click({ force: true });
  await page.evaluate(() => document.getElementById('load').click());
  await new Promise((done) => setTimeout(done, 300));
  check(`one restore request while blocked (${restores})`, restores === 1);
  check('the page is still blocked', (await state(page)).overlay);

  const t0 = Date.now();
  release();
  await reloaded;
  await page.locator('#profiles .name', { hasText: 'alice' }).waitFor();
  const after = await state(page);
  console.log(`# reloaded ${Date.now() - t0} ms after the restore was sent`);
  check(`the reloaded page is served by a new process (${oldPid} -> ${after.pid})`,
    after.pid !== oldPid);
  check(`alice is back in the profile list (${await names(page)})`,
    (await names(page)).includes('alice'));
  check('the reloaded page is not blocked',
    !after.overlay && after.noneDisabled && after.gearIcon && !after.spinner);
  check(`one restore request in all (${restores})`, restores === 1);
  await shot(page, 'restored.png');
}
