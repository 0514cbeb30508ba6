// The console's core: DOM helper, API client, sign-in, catalog, formats,
// router. No framework and no build step (README "Console").
import { routes } from './views.js';

// h builds an element: h('a', {href: '#/x'}, 'text', child…). Text is
// always set as text, never parsed as HTML.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// ---- session ----

const TOKEN = 'productgov.token';

export function token() { return sessionStorage.getItem(TOKEN) || ''; }

// me is the signed-in person from the token's claims (the API verifies them).
export function me() {
  const t = token();
  if (!t) return null;
  try {
    const bin = atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'));
    const c = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, ch => ch.charCodeAt(0))));
    if (c.exp && c.exp * 1000 < Date.now()) return null;
    let roles = c.roles || [];
    if (typeof roles === 'string') roles = roles.split(/[ ,]+/).filter(Boolean);
    return { sub: c.sub, name: c.name || c.sub, roles };
  } catch { return null; }
}

export function has(...roles) {
  const m = me();
  return !!m && roles.some(r => m.roles.includes(r));
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  location.hash = '#/signin';
}

// ---- API ----

// ApiError carries the API's error: code, message and field problems.
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || body?.message || ('HTTP ' + status));
    this.status = status;
    this.code = body?.error?.code || '';
    this.fields = body?.error?.fields || {};
  }
}

// api calls the HTTP API with the token in the Authorization header, as
// every client does.
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (token()) init.headers.Authorization = 'Bearer ' + token();
  if (body !== undefined) {
    if (body instanceof FormData || body instanceof Blob) init.body = body;
    else { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  }
  if (method === 'POST' && !init.headers['Idempotency-Key']) init.headers['Idempotency-Key'] = crypto.randomUUID();
  const res = await fetch(path, init);
  if (res.status === 401) { signOut(); throw new ApiError(401, { error: { message: '登录已过期，请重新登录' } }); }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// download asks the API for an export's download link (JSON, with the
// token in the header; a page route's path carries it as ?access_token= too,
// which its authorizer reads) and opens it: the file is in the work bucket, another
// origin, which saves it as an attachment under its Chinese name. A failure
// is shown after the button, in Chinese.
export async function download(path, button) {
  button?.parentElement?.querySelector('#error')?.remove();
  try {
    const { url } = await api('GET', path, undefined, { Accept: 'application/json' });
    const a = h('a', { href: url, rel: 'noopener' });
    document.body.append(a); a.click(); a.remove();
  } catch (e) {
    (button || document.querySelector('main h1'))?.after(errorNotice(e));
  }
}

// ---- sign-in ----

// Locally the stack has /dev/people and /dev/token: a picker of the demo
// people. On AWS: OpenID Connect authorization code with PKCE at the JWT
// authorizer's issuer (config.json), the token then sent as a bearer.
async function signInView() {
  const box = h('div', {});
  const res = await fetch('/dev/people').catch(() => null);
  if (res && res.ok) {
    const people = (await res.json()).items;
    box.append(h('p', { class: 'muted' }, '本地模式：选择一位演示人员登录（使用其开发令牌）。'),
      h('div', { class: 'people', id: 'people' }, people.map(p => h('button', {
        type: 'button', 'data-sub': p.sub,
        onclick: async () => {
          const t = await (await fetch('/dev/token', { method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ sub: p.sub, name: p.name, email: p.email || p.sub + '@example.test', roles: p.roles }) })).json();
          sessionStorage.setItem(TOKEN, t.token);
          location.hash = sessionStorage.getItem('productgov.after') || '#/';
          sessionStorage.removeItem('productgov.after');
        },
      }, p.name, h('small', {}, p.dept + ' · ' + p.roles.map(r => label('role', r)).join('、'))))));
    return box;
  }
  const cfg = await (await fetch('/console/config.json')).json();
  if (!cfg.issuer || !cfg.clientId) {
    box.append(h('p', { class: 'notice bad' }, '尚未配置登录（模板参数 ConsoleClientId）。'));
    return box;
  }
  box.append(h('button', { class: 'primary', type: 'button', onclick: () => oidcStart(cfg) }, '使用统一身份认证登录'));
  return box;
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function discovery(issuer) {
  return (await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration')).json();
}

async function oidcStart(cfg) {
  const d = await discovery(cfg.issuer);
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem('productgov.pkce', JSON.stringify({ verifier, state }));
  const u = new URL(d.authorization_endpoint);
  u.search = new URLSearchParams({ response_type: 'code', client_id: cfg.clientId, redirect_uri: location.origin + '/console',
    scope: 'openid profile email', code_challenge: challenge, code_challenge_method: 'S256', state }).toString();
  location.assign(u.toString());
}

// oidcFinish exchanges the code the identity provider sent back.
async function oidcFinish() {
  const q = new URLSearchParams(location.search);
  if (!q.get('code')) return;
  const saved = JSON.parse(sessionStorage.getItem('productgov.pkce') || '{}');
  history.replaceState(null, '', '/console' + location.hash);
  if (saved.state !== q.get('state')) return;
  const cfg = await (await fetch('/console/config.json')).json();
  const d = await discovery(cfg.issuer);
  const res = await fetch(d.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: location.origin + '/console',
      client_id: cfg.clientId, code_verifier: saved.verifier }) });
  const t = await res.json();
  // The authorizer checks aud against the client id: the ID token carries it.
  sessionStorage.setItem(TOKEN, t.id_token || t.access_token);
  sessionStorage.removeItem('productgov.pkce');
}

// ---- catalog and formats ----

let catalog = null;

// label is the Chinese name of a code in one of the catalog's tables.
export function label(table, code) {
  const t = catalog?.labels?.[table] || catalog?.[table] || catalog?.reasons?.names?.[table];
  return (t && t[code]) || code || '—';
}

// reasonText renders a machine-readable reason with the catalog the server
// pages use (shared/reason): the same substitution, the same names.
export function reasonText(r) {
  if (!r || !r.code) return '—';
  const tpl = catalog.reasons.templates[r.code];
  if (!tpl) return r.code;
  return tpl.replace(/\{(\w+)\}/g, (_, k) => formatParam(catalog.reasons.kinds[k] || 'text', (r.params || {})[k] ?? ''));
}

export function reasonsText(rs) { return (rs || []).map(reasonText).join('；'); }

function formatParam(kind, v) {
  switch (kind) {
    case 'month': return month(v);
    case 'months': return v.split(',').map(month).join('、');
    case 'date': return date(v);
    case 'money': return money(v);
    case 'rate': return rate(v);
    case 'text': return v;
    default: return (catalog.reasons.names[kind] || {})[v] ?? v;
  }
}

// month writes 2026-11 as 2026年11月.
export function month(v) {
  const m = /^(\d{4})-(\d{2})$/.exec(v || '');
  return m ? `${m[1]}年${Number(m[2])}月` : (v || '—');
}

// date writes 2026-11-05 (or a timestamp) as 2026年11月5日.
export function date(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v || '');
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : (v || '—');
}

export function quarter(v) {
  const m = /^(\d{4})-Q([1-4])$/.exec(v || '');
  return m ? `${m[1]}年第${'一二三四'[m[2] - 1]}季度` : (v || '—');
}

// rate writes a decimal fraction (0.027) as a percentage (2.7%), without floats.
export function rate(v) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(v || '');
  if (!m) return v || '—';
  const frac = (m[2] || '') + '00';
  const digits = (m[1] + frac.slice(0, 2)).replace(/^0+(?=\d)/, '');
  const rest = frac.slice(2).replace(/0+$/, '');
  return digits + (rest ? '.' + rest : '') + '%';
}

// money writes an amount in yuan, given as the API's decimal string, as
// ¥1,234,567.89, without ever going through a float.
export function money(v) {
  if (v === undefined || v === null || v === '') return '—';
  const s = String(v);
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return s;
  return `${m[1]}¥${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${((m[3] || '') + '00').slice(0, 2)}`;
}

// ---- directory ----

let people = null;
let peopleLoad = null;

// loadPeople reads the directory once per sign-in, so pages show names;
// pages rendering at once share the one read.
export async function loadPeople() {
  if (!peopleLoad) {
    peopleLoad = api('GET', '/people').then(r => {
      people = {};
      for (const p of r.items) people[p.sub] = p;
    }).catch(() => { peopleLoad = null; });
  }
  await peopleLoad;
  return people;
}

// who is a person's name (login only when the directory has none).
export function who(sub) {
  if (!sub) return '—';
  if (sub === 'system') return '系统';
  return people?.[sub]?.name || sub;
}

// ---- router ----

function nav() {
  const m = me();
  const items = [['#/', '工作台', true], ['#/products', '产品', true], ['#/submissions', '决策事项', true],
    ['#/reviews', '我的评审', has('reviewer')], ['#/assessments', '月度考核', true],
    ['#/partners', '合作伙伴', has('admin', 'marketing', 'finance', 'innovation', 'vp', 'gm', 'deputy_gm', 'committee_director', 'group_customer', 'auditor')],
    ['#/settlements', '结算单', has('admin', 'marketing', 'finance', 'innovation', 'vp', 'gm', 'deputy_gm', 'committee_director', 'group_customer', 'auditor')],
    ['#/admin', '系统管理', has('admin')], ['#/audit', '审计追踪', has('auditor', 'admin')]];
  const here = '#/' + (location.hash.slice(2).split(/[/?]/)[0] || '');
  document.getElementById('nav').replaceChildren(...(m ? items.filter(i => i[2]).map(([href, text]) =>
    h('a', { href, 'aria-current': here === href ? 'page' : null }, text)) : []));
  document.getElementById('who').replaceChildren(...(m ? [h('span', { id: 'me' }, m.name + '（' + m.roles.map(r => label('role', r)).join('、') + '）'),
    h('button', { type: 'button', onclick: signOut, id: 'signout' }, '退出')] : []));
}

let renders = 0;

async function render() {
  // A later navigation wins: a slow page must not replace a newer one.
  const seq = ++renders;
  const main = document.getElementById('main');
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  nav();
  if (!me() && path !== '/signin') {
    sessionStorage.setItem('productgov.after', hash);
    location.replace('#/signin');
    return;
  }
  let view;
  if (path === '/signin') {
    people = null;
    peopleLoad = null;
    view = h('div', {}, h('h1', { tabindex: '-1' }, '登录'), await signInView());
  } else {
    await loadPeople();
    let found = null;
    for (const [pattern, fn] of routes) {
      const m = pattern.exec(path);
      if (m) { found = () => fn(m.slice(1).map(decodeURIComponent), params); break; }
    }
    try {
      view = found ? await found() : h('div', {}, h('h1', { tabindex: '-1' }, '页面不存在'), h('p', {}, h('a', { href: '#/' }, '返回工作台')));
    } catch (e) {
      view = h('div', {}, h('h1', { tabindex: '-1' }, '出错了'), errorNotice(e));
    }
  }
  if (seq !== renders) return;
  main.replaceChildren(view);
  document.title = (view.querySelector('h1')?.textContent || '') + ' - 政企产品管理系统';
  // Keyboard and screen-reader users land on the page's heading.
  const h1 = view.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
}

// errorNotice shows an API error in Chinese.
export function errorNotice(e) {
  const what = { 400: '提交的内容有误', 403: '您没有权限执行此操作', 404: '未找到该对象', 409: '操作与当前状态冲突', 503: '系统暂时不可用，请稍后重试' }[e.status] || '操作失败';
  const detail = [400, 409].includes(e.status) && e.message ? '（' + zhMessage(e.message) + '）' : '';
  return h('div', { class: 'notice bad', role: 'alert', id: 'error' }, what + detail);
}

// zhMessage puts the API's English messages people meet most into Chinese;
// the rest keep the article they cite and a generic Chinese sentence.
export function zhMessage(msg) {
  if (!msg) return '';
  const rules = [
    [/^is required \((.+)\)$/, (_, r) => `必填（${r}）`],
    [/^is required/, () => '必填'],
    [/^must not be empty \((.+)\)$/, (_, r) => `不能为空（${r}）`],
    [/^must be an amount in yuan/, () => '请填写以元为单位的金额，最多两位小数'],
    [/^must be at least (\d+) months \((P§[^:]+):/, (_, n, r) => `不少于${n}个月（${r}）`],
    [/^estimatedInvestment or estimatedRdCost/, () => '预计投资与预计研发成本至少填写一项（P§7(一)4）'],
    [/^must be text/, () => '请填写文字'],
    [/^must be a date/, () => '请填写日期（年-月-日）'],
    [/^unknown value/, () => '请从列表中选择'],
    [/^applies to cooperative products only \((P§[^)]+\))/, (_, r) => `仅适用于合作产品（${r}）`],
    [/below the (\S+) a commercial product needs.*\(P§18\)/, (_, a) => `低于商用产品年收入要求${money(a)}（P§18）`],
    [/^names no existing partner/, () => '该合作伙伴不存在'],
    [/^not found/, () => '未找到'],
    [/^(unknown product|product .* not found)/, () => '产品不存在'],
    [/^month: /, () => '月份格式应为 年-月'],
  ];
  for (const [re, f] of rules) {
    const m = re.exec(msg);
    if (m) return f(...m);
  }
  const art = /(P§[\d()一二三四五六七八九十]+|S§[\d.()]+|SPEC [\d.]+)/.exec(msg);
  return '填写或操作不符合规则' + (art ? '（' + art[1] + '）' : '');
}

async function boot() {
  catalog = await (await fetch('/console/catalog.json')).json();
  await oidcFinish().catch(() => {});
  window.addEventListener('hashchange', render);
  document.getElementById('skip').addEventListener('click', e => { e.preventDefault(); document.getElementById('main').focus(); });
  await render();
}

boot();
