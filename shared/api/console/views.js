// The console's pages, one function per route. Each reads the API and
// returns an element; every object has its own #/ link (deep links, back).
import { h, api, me, has, label, reasonText, reasonsText, month, date, quarter, money, who, errorNotice, zhMessage, download, token } from './app.js';
import { Forms } from './forms.js';

// ---- shared pieces ----

// add appends children as h does: false, null and undefined are skipped.
const add = (parent, ...children) => parent.append(...h('div', {}, ...children).childNodes);

const page = (title, ...body) => h('div', {}, h('h1', {}, title), ...body);
const link = (href, text) => h('a', { href }, text);
const table = (head, rows, attrs = {}) => rows.length
  ? h('table', attrs, h('thead', {}, h('tr', {}, head.map(c => h('th', {}, c)))), h('tbody', {}, rows))
  : h('p', { class: 'muted', ...attrs }, '暂无。');
const tr = (...cells) => h('tr', {}, cells.map(c => (c instanceof Node && c.tagName === 'TD') ? c : h('td', {}, c)));
const num = v => h('td', { class: 'num' }, v);
const facts = pairs => h('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
const tag = (text, cls = '') => h('span', { class: 'tag ' + cls }, text);
const prevMonth = () => { const d = new Date(); d.setDate(1); d.setMonth(d.getMonth() - 1); return d.toISOString().slice(0, 7); };
const thisQuarter = () => { const d = new Date(); return `${d.getFullYear()}-Q${Math.floor(d.getMonth() / 3) + 1}`; };

// productNames maps the product ids a page lists to {name}: up to 100 a
// call of /product-names (batched reads), never a walk of the portfolio.
// Names are kept for the session's page views: a name seldom changes.
const nameCache = {};
async function productNames(ids) {
  const missing = [...new Set(ids.filter(id => id && !(id in nameCache)))];
  const chunks = [];
  for (let i = 0; i < missing.length; i += 100) chunks.push(missing.slice(i, i + 100));
  await Promise.all(chunks.map(async c => {
    const res = await api('GET', '/product-names?ids=' + c.map(encodeURIComponent).join(','));
    for (const id of c) nameCache[id] = res.names[id] ?? null;
  }));
  return Object.fromEntries(ids.filter(id => nameCache[id]).map(id => [id, { name: nameCache[id] }]));
}

// nextPage links a listing's next page (href ends with the cursor's
// parameter name and "="), when the API named one.
const nextPage = (cursor, href) => cursor ? h('p', { class: 'noprint' }, link(href + encodeURIComponent(cursor), '下一页')) : null;

const productLink = (id, names) => id ? link('#/products/' + encodeURIComponent(id), names[id]?.name || '（未知产品）') : '—';

function stepName(step) {
  if (step.startsWith('countersign:')) return '会签：' + label('step', step.slice(12));
  if (step.startsWith('minutes:')) return '会议纪要会签：' + label('step', step.slice(8));
  return label('step', step);
}

// form runs a form: gathers values, posts them and shows the API's field
// errors beside their fields, or the message above the form.
function runForm(form, submit) {
  form.addEventListener('submit', async e => {
    e.preventDefault();
    form.querySelectorAll('.field-error').forEach(x => x.remove());
    form.querySelectorAll('[aria-invalid]').forEach(x => x.removeAttribute('aria-invalid'));
    form.querySelector('.form-error')?.remove();
    const btn = form.querySelector('button[type=submit]');
    if (btn) btn.disabled = true;
    try {
      await submit();
    } catch (err) {
      let placed = 0;
      for (const [k, msg] of Object.entries(err.fields || {})) {
        const input = form.querySelector(`[name="${CSS.escape(k)}"]`);
        if (!input) continue;
        placed++;
        input.setAttribute('aria-invalid', 'true');
        const id = 'err-' + k;
        input.setAttribute('aria-describedby', id);
        input.after(h('div', { class: 'field-error', id, role: 'alert' }, zhMessage(msg)));
      }
      const other = Object.entries(err.fields || {}).filter(([k]) => !form.querySelector(`[name="${CSS.escape(k)}"]`));
      const box = placed ? h('div', { class: 'notice bad', role: 'alert' }, `请修改标出的 ${placed} 项后再提交。`) : errorNotice(err);
      box.classList.add('form-error');
      if (other.length) box.append(h('ul', {}, other.map(([k, m]) => h('li', {}, (label('field', k) || k) + '：' + zhMessage(m)))));
      if (placed || other.length || !err.fields) form.prepend(box);
      form.querySelector('[aria-invalid=true]')?.focus();
    } finally {
      if (btn) btn.disabled = false;
    }
  });
  return form;
}

function fieldInput(f, value) {
  const attrs = { id: 'f-' + f.key, name: f.key };
  if (f.kind === 'textarea') return h('textarea', attrs, value ?? '');
  if (f.kind === 'select') return h('select', attrs, f.options.map(([v, t]) => h('option', { value: v, selected: value === v }, t)));
  const type = { date: 'date', int: 'number' }[f.kind] || 'text';
  return h('input', { ...attrs, type, value: value ?? '', inputmode: f.kind === 'amount' ? 'decimal' : null, min: f.kind === 'int' ? '0' : null });
}

function readField(form, f) {
  const el = form.elements[f.key];
  const v = el.value.trim();
  if (v === '') return undefined;
  if (f.kind === 'int') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  return v;
}

// ---- dashboard ----

async function dashboard() {
  const d = await api('GET', '/dashboard');
  const names = await productNames([...(d.assessment.byPhase?.warning || []), ...(d.assessment.byPhase?.exit || [])].map(p => p.id)
    .concat(d.waiting.map(w => w.productId)));
  const stages = Object.keys(d.portfolio);
  const phases = ['', 'assessment', 'warning', 'exit'];
  const out = page('工作台');
  add(out, h('div', { class: 'cards' },
    h('div', { class: 'card' }, h('div', { class: 'muted' }, '产品总数'), h('div', { class: 'big', id: 'total-products' }, d.products)),
    h('div', { class: 'card' }, h('div', { class: 'muted' }, '待决策事项'), h('div', { class: 'big' }, d.waiting.length)),
    h('div', { class: 'card' }, h('div', { class: 'muted' }, month(d.month) + '考核未通过'), h('div', { class: 'big' }, d.assessment.counts.fail || 0)),
    d.depositsBelow && h('div', { class: 'card' }, h('div', { class: 'muted' }, '保证金不足的合作伙伴'), h('div', { class: 'big' }, d.depositsBelow.length))));
  add(out, h('h2', {}, '产品组合（阶段 × 考核期）'),
    table(['阶段', ...phases.map(p => label('phase', p)), '合计'], stages.map(s => tr(label('stage', s),
      ...phases.map(p => num(d.portfolio[s][p] || 0)), num(Object.values(d.portfolio[s]).reduce((a, b) => a + b, 0)))), { id: 'portfolio' }));
  add(out, h('h2', {}, month(d.month) + '月度考核'));
  if (!d.assessment.ran) add(out, h('p', { class: 'muted' }, '本月尚未考核。'));
  else {
    add(out, h('p', {}, Object.entries(d.assessment.counts).map(([o, n]) => tag(label('outcome', o) + ' ' + n))),
      h('div', { class: 'cols', id: 'dash-assessment' },
        h('div', {}, h('h3', {}, '预警期产品'), h('ul', {}, (d.assessment.byPhase.warning || []).map(p => h('li', {}, productLink(p.id, names))))),
        h('div', {}, h('h3', {}, '退出期产品'), h('ul', {}, (d.assessment.byPhase.exit || []).map(p => h('li', {}, productLink(p.id, names)))))),
      h('p', {}, link('#/assessments/' + d.month, '查看考核结果')));
  }
  add(out, h('h2', {}, '等待中的决策'), table(['事项', '产品', '申请人', '状态', '自', '已等待'], d.waiting.map(w => tr(
    link('#/submissions/' + w.id, label('submissionType', w.type)), productLink(w.productId, names), who(w.applicant),
    label('submissionStatus', w.status), date(w.since), num(w.waitingDays + ' 天'))), { id: 'waiting' }));
  if (d.depositsBelow) {
    add(out, h('h2', {}, '保证金低于应缴金额（S§20）'), table(['合作伙伴', '余额', '应缴'], d.depositsBelow.map(p => tr(
      link('#/partners/' + p.id, p.name), num(money(p.balance)), num(money(p.required)))), { id: 'deposits-below' }));
  }
  return out;
}

// ---- products ----

async function products(_, q) {
  const mine = q.get('mine') !== null ? q.get('mine') === '1' : has('product_manager') && !has('admin');
  const cursor = q.get('cursor') || '';
  // One page of 200 from the API (a product manager's own through the owner
  // index), with a link to the next: a national portfolio is never read whole.
  const res = await api('GET', '/products?limit=200' + (mine ? '&createdBy=' + encodeURIComponent(me().sub) : '') +
    (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
  const list = res.items.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  const out = page(mine ? '我的产品' : '产品');
  add(out, h('div', { class: 'toolbar noprint' },
    link(mine ? '#/products?mine=0' : '#/products?mine=1', mine ? '查看全部产品' : '只看我的产品'),
    has('product_manager', 'admin') && link('#/products/new', '登记新产品')));
  add(out, table(['产品', '层级', '模式', '阶段', '考核期', '标记'], list.map(p => tr(
    link('#/products/' + p.id, p.name), label('level', p.level), label('mode', p.mode), label('stage', p.stage),
    label('phase', p.phase || ''), (p.flags || []).map(f => tag(label('flag', f), 'warn')))), { id: 'products' }));
  add(out, nextPage(res.nextCursor, `#/products?mine=${mine ? 1 : 0}&cursor=`));
  return out;
}

function chart(figs, threshold) {
  const W = 720, H = 240, left = 80, bottom = 200, w = 42;
  const vals = figs.map(f => f.amount === null ? 0 : Number(f.amount));
  const max = Math.max(1, ...vals, threshold ? Number(threshold) : 0) * 1.1;
  const y = v => bottom - (v / max) * (bottom - 20);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const el = (n, a, t) => { const e = document.createElementNS(svg.namespaceURI, n); for (const k in a) e.setAttribute(k, a[k]); if (t) e.textContent = t; return e; };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`); svg.setAttribute('width', W); svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', '近12个月收入'); svg.id = 'chart';
  svg.append(el('line', { x1: left, y1: bottom, x2: W - 10, y2: bottom, stroke: '#9ca3af' }));
  figs.forEach((f, i) => {
    const x = left + 10 + i * 52, v = f.amount === null ? 0 : Number(f.amount);
    const below = threshold && v < Number(threshold);
    const r = el('rect', { x, y: y(v), width: w, height: bottom - y(v), fill: below ? '#f87171' : '#60a5fa' });
    r.append(el('title', {}, month(f.month) + '：' + (f.amount === null ? '无数据' : money(f.amount))));
    svg.append(r, el('text', { x, y: bottom + 16, 'font-size': 11, fill: '#374151' }, Number(f.month.slice(5)) + '月'));
    if (f.amount === null) svg.append(el('text', { x: x + 8, y: bottom - 4, 'font-size': 10, fill: '#9ca3af' }, '无'));
  });
  svg.append(el('text', { x: left - 6, y: 24, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }, money((max / 1.1).toFixed(2))));
  if (threshold) {
    svg.append(el('line', { x1: left, y1: y(Number(threshold)), x2: W - 10, y2: y(Number(threshold)), stroke: '#dc2626', 'stroke-dasharray': '6 4' }),
      el('text', { x: W - 10, y: y(Number(threshold)) - 4, 'text-anchor': 'end', 'font-size': 11, fill: '#dc2626' }, '考核门槛 ' + money(threshold) + '/月'));
  }
  return svg;
}

async function product([id]) {
  const p = await api('GET', '/products/' + encodeURIComponent(id));
  const d = new Date(); d.setDate(1); d.setMonth(d.getMonth() - 1);
  const to = d.toISOString().slice(0, 7); d.setMonth(d.getMonth() - 11);
  const from = d.toISOString().slice(0, 7);
  const [hist, rev, pol, subs] = await Promise.all([api('GET', `/products/${id}/history`), api('GET', `/products/${id}/revenue?from=${from}&to=${to}`),
    api('GET', '/policy'), api('GET', '/submissions?limit=100&productId=' + encodeURIComponent(id))]);
  const byMonth = Object.fromEntries(rev.items.map(f => [f.month, f.amount]));
  const figs = [];
  for (let i = 0; i < 12; i++) { const x = new Date(from + '-01T00:00:00Z'); x.setUTCMonth(x.getUTCMonth() + i); const m = x.toISOString().slice(0, 7); figs.push({ month: m, amount: byMonth[m] ?? null }); }
  const threshold = pol.assessment?.revenueThresholds?.[p.level];
  const out = page(p.name);
  add(out, facts([['层级 / 模式', label('level', p.level) + ' / ' + label('mode', p.mode)], ['阶段', label('stage', p.stage) + '（自' + date(p.stageSince) + '）'],
    ['考核期', label('phase', p.phase || '')], ['客户数', String(p.customers)], p.noticeDate && ['（试）商用公告日', date(p.noticeDate)],
    p.strategic && ['战略产品', '是'], p.planDueDate && ['建设方案截止', date(p.planDueDate)],
    ['标记', (p.flags || []).length ? p.flags.map(f => tag(label('flag', f), 'warn')) : '无'], ['产品经理', who(p.createdBy)]]));
  const canSubmit = has('product_manager', 'admin') && (p.createdBy === me().sub || has('admin'));
  if (canSubmit) {
    const sel = h('select', { id: 'new-type', 'aria-label': '决策类型' }, Object.keys(Forms).filter(t => !Forms[t].noProduct).map(t => h('option', { value: t }, label('submissionType', t))));
    add(out, h('div', { class: 'actions noprint' }, sel, h('button', { type: 'button', class: 'primary', id: 'new-submission',
      onclick: () => { location.hash = `#/submissions/new?product=${encodeURIComponent(id)}&type=${sel.value}`; } }, '提交决策事项')));
  }
  add(out, h('h2', {}, '近12个月收入与考核门槛'), chart(figs, threshold),
    !threshold && h('p', { class: 'muted' }, '总部全网产品不参与月度考核，无门槛线。'));
  add(out, h('h2', {}, '决策事项'), table(['事项', '状态', '决策层级', '提交时间'], subs.items.map(s => tr(
    link('#/submissions/' + s.id, label('submissionType', s.type)), label('submissionStatus', s.status), label('decisionLevel', s.decisionLevel), date(s.createdAt)))));
  add(out, h('h2', {}, '阶段历史'), table(['时间', '变化', '依据', '经办人'], hist.items.map(c => tr(
    date(c.at), (c.from ? label('stage', c.from) : '—') + ' → ' + label('stage', c.to), reasonText(c.cause), who(c.by))), { id: 'history' }));
  if (has('auditor', 'admin')) add(out, h('p', { class: 'noprint' }, link('#/audit?entity=product/' + encodeURIComponent(id), '查看审计追踪')));
  return out;
}

async function newProduct() {
  const form = h('form', { class: 'grid', id: 'product-form', novalidate: true },
    h('label', { for: 'f-name' }, '产品名称'), h('input', { id: 'f-name', name: 'name', required: true }),
    h('label', { for: 'f-level' }, '管理层级'), h('select', { id: 'f-level', name: 'level' }, [['city', '市级'], ['province', '省级'], ['hq', '总部全网']].map(([v, t]) => h('option', { value: v }, t))),
    h('label', { for: 'f-mode' }, '产品模式'), h('select', { id: 'f-mode', name: 'mode' }, [['self_built', '自建'], ['cooperative', '合作']].map(([v, t]) => h('option', { value: v }, t))),
    h('label', { for: 'f-partnerId' }, '合作伙伴编号（合作产品）'), h('input', { id: 'f-partnerId', name: 'partnerId' }),
    h('label', { for: 'f-customers' }, '客户数'), h('input', { id: 'f-customers', name: 'customers', type: 'number', min: '0', value: '0' }),
    h('label', { for: 'f-hadSpend' }, '前期已有投资或成本'), h('input', { id: 'f-hadSpend', name: 'hadSpend', type: 'checkbox' }),
    h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary' }, '登记')));
  runForm(form, async () => {
    const f = form.elements;
    const body = { name: f.name.value.trim(), level: f.level.value, mode: f.mode.value, customers: Number(f.customers.value || 0), hadSpend: f.hadSpend.checked };
    if (f.partnerId.value.trim()) body.partnerId = f.partnerId.value.trim();
    const p = await api('POST', '/products', body);
    location.hash = '#/products/' + p.id;
  });
  return page('登记新产品', h('p', { class: 'muted' }, '新产品从需求阶段开始（P§10）。'), form);
}

// ---- submissions ----

async function submissions(_, q) {
  const mine = q.get('mine') !== null ? q.get('mine') === '1' : has('product_manager') && !has('admin');
  const status = q.get('status') || '';
  const cursor = q.get('cursor') || '';
  const list = await api('GET', '/submissions?limit=200' + (status ? '&status=' + status : '') +
    (mine ? '&applicant=' + encodeURIComponent(me().sub) : '') + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
  const items = list.items;
  const names = await productNames(items.map(s => s.productId));
  const out = page(mine ? '我提交的决策事项' : '决策事项');
  const sel = h('select', { 'aria-label': '状态', onchange: e => { location.hash = `#/submissions?mine=${mine ? 1 : 0}&status=${e.target.value}`; } },
    h('option', { value: '' }, '全部状态'),
    ['group_review', 'cross_review', 'deciding', 'approved', 'rejected', 'returned', 'expired', 'closed'].map(s => h('option', { value: s, selected: s === status }, label('submissionStatus', s))));
  add(out, h('div', { class: 'toolbar noprint' }, sel, link(`#/submissions?mine=${mine ? 0 : 1}`, mine ? '查看全部' : '只看我的'),
    has('admin') && link('#/submissions/new?type=basic_rules', '提交基础规则事项')));
  add(out, table(['事项', '产品', '申请人', '状态', '决策层级', '提交时间'], items.map(s => tr(
    link('#/submissions/' + s.id, label('submissionType', s.type)), productLink(s.productId, names), who(s.applicant),
    label('submissionStatus', s.status), label('decisionLevel', s.decisionLevel), date(s.createdAt))), { id: 'submissions' }));
  add(out, nextPage(list.nextCursor, `#/submissions?mine=${mine ? 1 : 0}&status=${status}&cursor=`));
  return out;
}

async function submissionForm(existing, type, productId) {
  const def = Forms[type];
  if (!def) return page('未知的决策类型');
  const p = productId ? await api('GET', '/products/' + encodeURIComponent(productId)) : null;
  const coop = p?.mode === 'cooperative';
  const content = existing?.content || {};
  const fields = def.fields.filter(f => !f.coop || coop);
  const form = h('form', { class: 'grid', id: 'submission-form', novalidate: true },
    !def.noProduct && [h('label', {}, '产品'), h('div', { name: 'productId', tabindex: '-1' }, p ? p.name : '—')],
    fields.map(f => [h('label', { for: 'f-' + f.key }, f.label, f.optional ? '' : ' *'),
      h('div', {}, fieldInput(f, content[f.key] ?? (f.key === 'partnerId' ? p?.partnerId : f.kind === 'select' && !f.optional ? undefined : '')),
        h('div', { class: 'muted' }, '依据 ' + f.rule + (f.hint ? '；' + f.hint : '')))]),
    h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary', id: 'submit' }, existing ? '提交修改' : '提交'),
      h('a', { href: existing ? '#/submissions/' + existing.id : (productId ? '#/products/' + productId : '#/submissions') }, '取消')));
  // Inputs sit in a div after their label; errors go right after the input.
  runForm(form, async () => {
    const body = { type };
    if (productId) body.productId = productId;
    for (const f of fields) { const v = readField(form, f); if (v !== undefined) body[f.key] = v; }
    const res = existing ? await api('PUT', '/submissions/' + existing.id, body) : await api('POST', '/submissions', body);
    location.hash = '#/submissions/' + res.id;
  });
  return page((existing ? '修改' : '提交') + label('submissionType', type) + '事项', h('p', { class: 'muted' }, '带 * 的为必填内容（P§7）。提交后进入小组评审。'), form);
}

async function newSubmission(_, q) { return submissionForm(null, q.get('type') || 'demand', q.get('product') || ''); }

async function reviseSubmission([id]) {
  const s = await api('GET', '/submissions/' + encodeURIComponent(id));
  return submissionForm(s, s.type, s.productId);
}

async function submission([id]) {
  const s = await api('GET', '/submissions/' + encodeURIComponent(id));
  const names = await productNames([s.productId]);
  const out = page(label('submissionType', s.type) + '：' + (names[s.productId]?.name || '基础规则'));
  add(out, facts([['状态', h('span', { id: 'status' }, label('submissionStatus', s.status))], ['产品', productLink(s.productId, names)],
    ['申请人', who(s.applicant)], ['版本', '第' + s.revision + '版'], ['提交时间', date(s.createdAt)],
    ['决策层级', label('decisionLevel', s.decisionLevel)],
    ['路由', h('span', { id: 'routing' }, s.routing.row ? `路由表第${s.routing.row}行：${label('decisionLevel', s.routing.level)}（${s.routing.rule}）` : label('decisionLevel', s.routing.level))],
    s.statusNote && ['说明', s.statusNote]]));
  if (s.applicant === me().sub && s.status === 'returned') add(out, h('div', { class: 'actions' }, link('#/submissions/' + id + '/revise', '修改并重新提交')));
  // The reviewer's vote: only for a submission in their queue; a declared
  // conflict hides the vote and says why (P§24).
  if (has('reviewer') && ['group_review', 'cross_review'].includes(s.status)) {
    const q = await api('GET', '/review-queue');
    const item = q.items.find(i => i.submission.id === s.id);
    if (item && !item.canVote) {
      add(out, h('div', { class: 'notice warn', id: 'conflict' }, `您已申报与本事项的合作伙伴存在关联关系，依据 P§24 回避评审，不参与投票。`));
    } else if (item) add(out, voteForm(s, item.stage));
  }
  add(out, h('h2', {}, '内容'), facts(Object.entries(s.content || {}).filter(([, v]) => v !== null && v !== '' && typeof v !== 'object')
    .map(([k, v]) => [fieldLabel(s.type, k), k === 'partnerId' ? (s.partnerName || '（未知合作伙伴）') : /Investment|Cost|Revenue|Estimate$/.test(k) ? money(v) : /Date$|Start$|End$/.test(k) ? date(v) : String(v)])));
  add(out, h('h2', {}, '评审'), table(['评审环节', '结果', '同意', '驳回', '退回', '依据'], (s.reviews || []).map(r => tr(
    r.stage === 'group' ? '小组评审' : '跨部门评审', { passed: '通过', rejected: '驳回', returned: '退回', waiting: '进行中' }[r.result] || r.result,
    num(r.approvals), num(r.rejects), num(r.returns), r.rule)), { id: 'reviews' }));
  add(out, h('h2', {}, '审批环节'), table(['环节', '审批人', '状态', '意见', '时间'], (s.steps || []).map(st => tr(
    stepName(st.name), who(st.approver), label('stepStatus', st.status), st.comment || '', st.decidedAt ? date(st.decidedAt) : '')), { id: 'steps' }));
  if (has('auditor', 'admin')) add(out, h('p', { class: 'noprint' }, link('#/audit?entity=submission/' + encodeURIComponent(id), '查看审计追踪')));
  return out;
}

function fieldLabel(type, key) {
  const f = (Forms[type]?.fields || []).find(x => x.key === key);
  return f ? f.label.replace(/（元）$/, '') : label('field', key);
}

function voteForm(s, stage) {
  const form = h('form', { id: 'vote-form', class: 'grid', novalidate: true },
    h('label', {}, '评审意见'), h('div', { role: 'radiogroup', 'aria-label': '评审意见' },
      [['approve', '同意'], ['reject', '驳回'], ['return', '退回']].map(([v, t], i) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name: 'vote', value: v, id: 'vote-' + v, checked: i === 0 }), ' ' + t))),
    h('label', { for: 'comment' }, '说明（驳回或退回时必填）'), h('textarea', { id: 'comment', name: 'comment' }),
    h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary', id: 'cast-vote' }, '提交评审意见')));
  runForm(form, async () => {
    await api('POST', `/submissions/${s.id}/votes`, { stage, vote: form.elements.vote.value, comment: form.elements.comment.value.trim() || undefined });
    location.hash = '#/reviews?voted=' + s.id;
  });
  return h('section', {}, h('h2', {}, (stage === 'group' ? '小组评审' : '跨部门评审') + '：您的意见'), form);
}

async function reviews(_, q) {
  const list = await api('GET', '/review-queue');
  const names = await productNames(list.items.map(i => i.submission.productId));
  const out = page('我的评审');
  if (q.get('voted')) add(out, h('div', { class: 'notice ok', id: 'voted' }, '已记录您的评审意见。'));
  add(out, table(['事项', '产品', '申请人', '评审环节', '已投票', '提交时间', ''], list.items.map(i => tr(
    link('#/submissions/' + i.submission.id, label('submissionType', i.submission.type)), productLink(i.submission.productId, names),
    who(i.submission.applicant), i.stage === 'group' ? '小组评审' : '跨部门评审', num(i.votes), date(i.submission.createdAt),
    i.canVote ? '' : tag('关联回避（P§24）', 'warn'))), { id: 'queue' }));
  return out;
}

// ---- assessments ----

async function assessments([m], q) {
  m = m || prevMonth();
  const cursor = q.get('cursor') || '';
  // A page of 200 results with a link to the next; the counts are the whole
  // month's, from its run record.
  const [res, run] = await Promise.all([api('GET', `/assessments/${m}?limit=200` + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')),
    api('GET', '/assessment-runs/' + m).catch(() => null)]);
  const names = await productNames(res.items.map(r => r.productId));
  const out = page(month(m) + '产品月度考核结果');
  const input = h('input', { type: 'month', value: m, 'aria-label': '考核月份', id: 'month' });
  add(out, h('div', { class: 'toolbar noprint' }, input, h('button', { type: 'button', onclick: () => { location.hash = '#/assessments/' + input.value; } }, '查看'),
    h('button', { type: 'button', onclick: () => window.print() }, '打印'),
    h('button', { type: 'button', id: 'xlsx', onclick: e => download(`/assessments/${m}/report.xlsx?access_token=${encodeURIComponent(token())}`, e.currentTarget) }, '下载 Excel')));
  let counts = run?.summary?.counts;
  if (!counts) {
    counts = {};
    for (const r of res.items) counts[r.result] = (counts[r.result] || 0) + 1;
  }
  add(out, h('p', {}, Object.entries(counts).filter(([, n]) => n > 0).map(([o, n]) => tag(label('outcome', o) + ' ' + n, o === 'fail' ? 'bad' : ''))));
  add(out, table(['产品', '结果', '近三月平均收入', '质量得分', '考核期', '原因（依据条款）'], res.items.map(r => tr(
    productLink(r.productId, names), label('outcome', r.result), num(money(r.revenueAverage)), num(r.qualityScore ?? '—'),
    (r.phaseBefore !== r.phaseAfter ? label('phase', r.phaseBefore) + ' → ' : '') + label('phase', r.phaseAfter),
    // P§18 is shown when it flags the product or waits for data.
    reasonsText(['ineligible', 'pending_data'].includes(r.commercialEligibility?.status) ? [...r.reasons, r.commercialEligibility.cause] : r.reasons))), { id: 'results' }));
  add(out, nextPage(res.nextCursor, `#/assessments/${m}?cursor=`));
  return out;
}

// ---- partners, settlements ----

async function partners(_, q) {
  // A page of 200 of each kind, with a link to the next.
  const sc = q.get('support') || '', ic = q.get('si') || '';
  const [sup, si] = await Promise.all([api('GET', '/partners?kind=support&limit=200' + (sc ? '&cursor=' + encodeURIComponent(sc) : '')),
    api('GET', '/partners?kind=si&limit=200' + (ic ? '&cursor=' + encodeURIComponent(ic) : ''))]);
  const pol = await api('GET', '/policy');
  const required = pol.partner?.deposit?.required;
  const status = { applied: '已准入待签约', active: '合作中', terminated: '已终止', exited: '已清退', unqualified: '资质未通过', ineligible: '准入未通过' };
  const out = page('合作伙伴');
  add(out, h('h2', {}, '运营支撑合作伙伴'), table(['名称', '状态', '保证金余额', ''], sup.items.map(p => tr(link('#/partners/' + p.id, p.name),
    status[p.status] || p.status, num(money(p.depositBalance)), p.status === 'active' && required && Number(p.depositBalance) < Number(required) ? tag('低于应缴 ' + money(required), 'bad') : '')), { id: 'support-partners' }));
  add(out, nextPage(sup.nextCursor, '#/partners?support='));
  add(out, h('h2', {}, '系统集成合作伙伴'), table(['名称', '状态'], si.items.map(p => tr(link('#/partners/' + p.id, p.name), status[p.status] || p.status))));
  add(out, nextPage(si.nextCursor, '#/partners?si='));
  return out;
}

async function partnerView([id]) {
  const [p, projects] = await Promise.all([api('GET', '/partners/' + encodeURIComponent(id)), api('GET', `/partners/${encodeURIComponent(id)}/projects`)]);
  const kinds = { receipt: '缴纳', deduction: '扣除', refund: '退还', draw: '结算扣抵' };
  const out = page(p.name);
  add(out, facts([['类型', p.kind === 'si' ? '系统集成合作伙伴' : '运营支撑合作伙伴'], ['保证金余额', money(p.depositBalance)],
    ['待追缴', money(p.owed)], p.depositPaidOn && ['保证金缴纳日', date(p.depositPaidOn)],
    p.agreement && ['协议期', date(p.agreement.start) + ' 至 ' + date(p.agreement.end)]]));
  add(out, h('h2', {}, '支撑项目'), table(['产品', '收益类型', '结算方式', '状态', '起止'], projects.items.map(x => tr(
    link('#/projects/' + x.id, x.productName || '支撑项目'), BENEFIT[x.benefitType] || x.benefitType, x.mode === 'revenue' ? '按收入结算' : '按工作量结算',
    PROJECT_STATUS[x.status] || x.status, date(x.startDate) + ' 至 ' + date(x.endDate))), { id: 'projects' }));
  add(out, h('h2', {}, '保证金台账（S§20）'), table(['日期', '类型', '金额', '变动后余额', '事由'], (p.ledger || []).map(e => tr(
    date(e.date || e.at), kinds[e.kind] || e.kind, num(money(e.amount)), num(money(e.balanceAfter)), e.reason || e.reference || ''))));
  // 财务部 keeps the deposit (S§20): receipts in one sum, deductions by reference.
  if (has('finance', 'admin') && p.kind === 'support') {
    const f = h('form', { class: 'grid', id: 'deposit-form', novalidate: true },
      h('label', { for: 'd-kind' }, '类型'), h('select', { id: 'd-kind', name: 'kind' }, h('option', { value: 'receipt' }, '缴纳'), h('option', { value: 'deduction' }, '扣除')),
      h('label', { for: 'd-amount' }, '金额（元）'), h('input', { id: 'd-amount', name: 'amount', inputmode: 'decimal' }),
      h('label', { for: 'd-date' }, '日期'), h('input', { id: 'd-date', name: 'date', type: 'date' }),
      h('label', { for: 'd-reference' }, '凭证号（扣除时必填）'), h('input', { id: 'd-reference', name: 'reference' }),
      h('label', { for: 'd-reason' }, '事由'), h('input', { id: 'd-reason', name: 'reason' }),
      h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary' }, '记账')));
    runForm(f, async () => {
      const body = { kind: f.elements.kind.value, amount: f.elements.amount.value.trim() };
      for (const k of ['date', 'reference', 'reason']) if (f.elements[k].value.trim()) body[k] = f.elements[k].value.trim();
      await api('POST', `/partners/${encodeURIComponent(id)}/deposits`, body);
      location.hash = `#/partners/${encodeURIComponent(id)}?posted=${Date.now()}`;
    });
    add(out, h('h2', {}, '保证金记账（S§20）'), f);
  }
  if (has('auditor', 'admin')) add(out, h('p', { class: 'noprint' }, link('#/audit?entity=partner/' + encodeURIComponent(id), '查看审计追踪')));
  return out;
}

const BENEFIT = { direct: '直接收益型', indirect: '间接收益型', guarantee: '保障型' };
const PROJECT_STATUS = { review: '评审中', approving: '审批中', approved: '已批准', rejected: '未通过', not_needed: '无需支撑', ended: '已结束' };

// project is a support project: its facts, the S-A1 review form for the
// reviewing departments, and the quarter input (S§15–S§16) for innovation.
async function project([id]) {
  const [x, pol] = await Promise.all([api('GET', '/support-projects/' + encodeURIComponent(id)), api('GET', '/policy')]);
  const out = page('支撑项目：' + (x.productName || ''));
  add(out, facts([['合作伙伴', link('#/partners/' + x.partnerId, '查看合作伙伴')], ['收益类型', BENEFIT[x.benefitType] || x.benefitType],
    ['结算方式', x.mode === 'revenue' ? '按收入结算' : '按工作量结算'], ['状态', h('span', { id: 'project-status' }, PROJECT_STATUS[x.status] || x.status)],
    x.contributionRate && ['支撑贡献率', (Number(x.contributionRate) * 100).toFixed(2).replace(/\.?0+$/, '') + '%'],
    ['年度目标收入', money(x.annualTarget)], ['起止', date(x.startDate) + ' 至 ' + date(x.endDate)]]));
  if ((x.items || []).length) add(out, h('h2', {}, '工作项'), table(['名称', '单价', '计划工作量'], x.items.map(i => tr(i.name, num(money(i.unitPrice)), num(i.plannedWorkload)))));
  const form = (pol.partner?.review?.forms || []).find(f => f.contentTypes.includes(x.contentType));
  if (x.status === 'review' && form && has('marketing', 'finance', 'innovation')) {
    const f = h('form', { class: 'grid', id: 'score-form', novalidate: true },
      form.items.map(i => [h('label', { for: 'score-' + i.key }, label('scoreItem', i.key) + `（满分${i.max}）`),
        h('input', { id: 'score-' + i.key, name: 'items.' + i.key, type: 'number', min: 0, max: i.max })]),
      h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary' }, '提交评分表')));
    runForm(f, async () => {
      const items = {};
      for (const i of form.items) items[i.key] = Number(f.elements['items.' + i.key].value || 0);
      await api('POST', `/support-projects/${id}/scores`, { items });
      location.hash = '#/projects/' + id + '?scored=' + Date.now();
    });
    add(out, h('h2', {}, '评审评分表（S§11，附件一）'), h('p', { class: 'muted' }, '每人每年一份，提交后不可修改；60分及以上确定需要运营支撑。'), f);
  }
  if (x.status === 'approved' && has('innovation')) {
    const qi = h('input', { id: 'entry-quarter', name: 'quarter', value: thisQuarter(), size: 8 });
    const f = h('form', { class: 'grid', id: 'quarter-form', novalidate: true }, h('label', { for: 'entry-quarter' }, '季度'), qi,
      x.mode === 'revenue'
        ? [h('label', { for: 'workload' }, '工作量'), h('input', { id: 'workload', name: 'workload', type: 'number', min: 0 })]
        : (x.items || []).map((i, n) => [h('label', {}, i.name + '：工作量 / 得分'), h('div', {}, h('input', { name: `items[${n}].workload`, type: 'number', min: 0, 'aria-label': i.name + '工作量' }),
          h('input', { name: `items[${n}].score`, type: 'number', min: 0, max: 100, 'aria-label': i.name + '得分' }))]),
      h('label', { for: 'serviceScore' }, '服务得分'), h('input', { id: 'serviceScore', name: 'serviceScore', type: 'number', min: 0, max: 100 }),
      h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary' }, '保存季度数据')));
    runForm(f, async () => {
      const body = { serviceScore: Number(f.elements.serviceScore.value) };
      if (x.mode === 'revenue') body.workload = Number(f.elements.workload.value);
      else body.items = x.items.map((i, n) => ({ name: i.name, workload: Number(f.elements[`items[${n}].workload`].value), score: Number(f.elements[`items[${n}].score`].value) }));
      await api('PUT', `/support-projects/${id}/quarters/${qi.value.trim()}`, body);
      f.before(h('div', { class: 'notice ok', role: 'status' }, quarter(qi.value.trim()) + '数据已保存。'));
    });
    add(out, h('h2', {}, '季度数据（S§15–S§16）'), f);
  }
  if (has('auditor', 'admin')) add(out, h('p', { class: 'noprint' }, link('#/audit?entity=project/' + encodeURIComponent(id), '查看审计追踪')));
  return out;
}

async function settlements(_, q) {
  const qt = q.get('quarter') || thisQuarter();
  const cursor = q.get('cursor') || '';
  const res = await api('GET', `/settlements/${qt}?limit=200` + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
  const names = await productNames(res.items.map(st => st.productId));
  const out = page(quarter(qt) + '结算单');
  const input = h('input', { value: qt, 'aria-label': '季度（如 2026-Q3）', id: 'quarter', size: 8 });
  add(out, h('div', { class: 'toolbar noprint' }, input, h('button', { type: 'button', onclick: () => { location.hash = '#/settlements?quarter=' + input.value.trim(); } }, '查看'),
    h('button', { type: 'button', id: 'xlsx', onclick: e => download(`/settlements/${qt}.xlsx`, e.currentTarget) }, '下载 Excel'),
    h('button', { type: 'button', onclick: () => window.print() }, '打印')));
  const act = (st, step, decision) => async () => {
    let comment;
    if (decision === 'return') { comment = prompt('退回原因'); if (!comment) return; }
    try {
      await api('POST', `/settlements/${qt}/${st.projectId}/${step}`, { decision, comment });
      location.hash = `#/settlements?quarter=${qt}&done=${st.projectId}.${step}.${Date.now()}`;
    } catch (e) { out.prepend(errorNotice(e)); }
  };
  add(out, table(['合作伙伴', '产品', '支撑费用', '扣减', '保证金扣抵', '应付', '状态', '审批记录', '说明', ''], res.items.map(st => tr(
    link('#/partners/' + st.partnerId, st.partnerName), st.productName || productLink(st.productId, names),
    num(money(st.fee)), num(money(st.deductions)), num(money(st.fromDeposit)), num(money(st.payable)),
    h('span', { class: 'st-status' }, { draft: '待市场部确认', revenue_confirmed: '待财务部审批', approved: '已审批', returned: '已退回' }[st.status] || st.status),
    (st.acts || []).map(a => h('div', {}, `${who(a.by)} ${a.decision === 'approve' ? (a.step === 'confirm' ? '确认' : '审批通过') : '退回'} ${date(a.at)}`)),
    h('td', { class: 'why' }, reasonsText(st.reasons)),
    h('div', { class: 'noprint' },
      has('auditor', 'admin') && link(`#/audit?entity=statement/${qt}/${st.projectId}`, '审计追踪'),
      st.status === 'draft' && has('marketing') && [h('button', { type: 'button', class: 'ok confirm', onclick: act(st, 'confirm', 'approve') }, '确认收入'), ' ',
        h('button', { type: 'button', onclick: act(st, 'confirm', 'return') }, '退回')],
      st.status === 'revenue_confirmed' && has('finance') && [h('button', { type: 'button', class: 'ok approve', onclick: act(st, 'approve', 'approve') }, '审批通过'), ' ',
        h('button', { type: 'button', onclick: act(st, 'approve', 'return') }, '退回')]))), { id: 'statements' }));
  add(out, nextPage(res.nextCursor, `#/settlements?quarter=${qt}&cursor=`));
  add(out, h('p', { class: 'muted' }, '结算依据：S§15–S§18（支撑费用）、S§19–S§21（扣减与保证金）；市场部确认收入，财务部审批。'));
  return out;
}

// ---- admin ----

async function admin() {
  const out = page('系统管理');
  add(out, h('ul', {}, h('li', {}, link('#/admin/imports', '数据导入（收入、质量得分）')), h('li', {}, link('#/admin/people', '人员与角色')),
    h('li', {}, link('#/admin/policy', '策略版本对照')), h('li', {}, link('#/admin/runs', '月度考核与季度结算作业'))));
  return out;
}

function importLine(k, msg) {
  const m = /^line (\d+)$/.exec(k);
  const why = msg.replace(/^product (\S+) does not exist$/, '产品 $1 不存在').replace(/^month "(.*)" .*/, '月份“$1”格式不对（应为 年-月）')
    .replace(/^amount "(.*)" must not be negative$/, '金额“$1”不能为负').replace(/^amount "(.*)" .*/, '金额“$1”格式不对')
    .replace(/^score "(.*)" .*/, '得分“$1”格式不对（0–100）').replace(/^has (\d+) columns.*/, '有 $1 列，应为 3 列（产品编号、月份、数值）')
    .replace(/^product_id is empty$/, '产品编号为空').replace(/^repeats product (\S+) month (\S+) of line (\d+)$/, '与第 $3 行重复（$1，$2）');
  return tr(m ? '第 ' + m[1] + ' 行' : k, /[A-Za-z]{3,}/.test(why.replace(/prd_\w+/g, '')) ? zhMessage(msg) : why);
}

async function imports() {
  const result = h('div', { id: 'import-result' });
  const form = h('form', { class: 'grid', id: 'import-form' },
    h('label', { for: 'kind' }, '数据类型'), h('select', { id: 'kind', name: 'kind' }, h('option', { value: 'revenue' }, '月收入（元）'), h('option', { value: 'quality' }, '质量得分')),
    h('label', { for: 'file' }, '文件（CSV 或 XLSX）'), h('input', { id: 'file', name: 'file', type: 'file', accept: '.csv,.xlsx' }),
    h('div', { class: 'full muted' }, '每行：产品编号,月份（年-月）,数值；可有表头 product_id,month,value。任一行有误则全部不导入。'),
    h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary', id: 'upload' }, '导入')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    result.replaceChildren();
    const file = form.elements.file.files[0];
    if (!file) { result.append(h('div', { class: 'notice bad' }, '请选择文件。')); return; }
    const fd = new FormData(); fd.append('file', file, file.name);
    try {
      const r = await api('POST', '/imports/' + form.elements.kind.value, fd);
      result.append(h('div', { class: 'notice ok', role: 'status' }, `已导入 ${r.rows} 行。`));
    } catch (err) {
      const lines = Object.entries(err.fields || {});
      result.append(h('div', { class: 'notice bad', role: 'alert' }, lines.length ? `文件中有 ${lines.length} 行有误，未导入任何数据：` : errorNotice(err).textContent),
        lines.length ? table(['行', '问题'], lines.sort((a, b) => parseInt(a[0].slice(5)) - parseInt(b[0].slice(5))).map(([k, m]) => importLine(k, m)), { id: 'bad-lines' }) : '');
    }
  });
  return page('数据导入', form, result);
}

async function peopleAdmin() {
  const list = (await api('GET', '/people')).items;
  const roles = ['product_manager', 'reviewer', 'finance', 'marketing', 'innovation', 'vp', 'gm', 'committee_director', 'deputy_gm', 'admin', 'auditor', 'group_customer'];
  const out = page('人员与角色');
  add(out, table(['姓名', '部门', '角色', '邮箱', '申报关联的合作伙伴', ''], list.map(p => {
    const row = tr(p.name, p.dept, p.roles.map(r => label('role', r)).join('、'), p.email || '', (p.relatedPartners || []).join('、'), '');
    row.lastChild.append(h('button', { type: 'button', onclick: () => {
      const form = h('form', { class: 'grid' }, h('label', {}, '角色'), h('div', {}, roles.map(r => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name: 'roles', value: r, checked: p.roles.includes(r) }), label('role', r)))),
      h('label', { for: 'dept' }, '部门'), h('input', { id: 'dept', name: 'dept', value: p.dept }),
      h('div', { class: 'full actions' }, h('button', { type: 'submit', class: 'primary' }, '保存')));
      runForm(form, async () => {
        await api('PUT', '/users/' + encodeURIComponent(p.sub), { name: p.name, email: p.email, dept: form.elements.dept.value, relatedPartners: p.relatedPartners || [],
          roles: [...form.querySelectorAll('input[name=roles]:checked')].map(x => x.value) });
        location.hash = '#/admin/people?saved=' + Date.now();
      });
      row.after(h('tr', {}, h('td', { colspan: 6 }, form)));
    } }, '修改'));
    return row;
  })));
  return out;
}

function flatten(o, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(o || {})) {
    const p = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, p, out);
    else out[p] = Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return out;
}

async function policyVersions(_, q) {
  const items = (await api('GET', '/policy/versions')).items;
  const out = page('策略版本对照');
  if (!items.length) return out;
  const a = items[Number(q.get('a') ?? Math.max(0, items.length - 2))] || items[0];
  const b = items[Number(q.get('b') ?? items.length - 1)] || items[items.length - 1];
  const pick = (name, sel) => h('select', { 'aria-label': name, onchange: e => { const u = new URLSearchParams(q); u.set(name, e.target.value); location.hash = '#/admin/policy?' + u; } },
    items.map((d, i) => h('option', { value: i, selected: d === sel }, `${d.version}（${date(d.effectiveFrom)}起）`)));
  add(out, h('div', { class: 'toolbar' }, '左：', pick('a', a), '右：', pick('b', b), link('#/admin/policy?' + new URLSearchParams({ ...Object.fromEntries(q), all: q.get('all') ? '' : '1' }), q.get('all') ? '只看不同之处' : '显示全部条目')));
  const fa = flatten(a), fb = flatten(b);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  const rows = keys.filter(k => q.get('all') || fa[k] !== fb[k]).map(k => tr(k, fa[k] ?? '—', fb[k] ?? '—'));
  add(out, h('p', { class: 'muted' }, '条目名为策略文档的字段路径（SPEC 7）；不同之处共 ' + keys.filter(k => fa[k] !== fb[k]).length + ' 项。'),
    table(['条目', a.version, b.version], rows, { id: 'policy-diff' }));
  return out;
}

function watchRun(path, box, what) {
  const names = { running: '运行中', succeeded: '已完成', failed: '失败' };
  const tick = async () => {
    if (!document.body.contains(box)) return;
    try {
      const r = await api('GET', path);
      box.replaceChildren(h('div', { class: 'notice ' + (r.status === 'failed' ? 'bad' : r.status === 'running' ? 'warn' : 'ok'), role: 'status', id: 'run-status' },
        `${what}：${names[r.status] || r.status}` + (r.finishedAt ? `（${date(r.finishedAt)}完成）` : '')));
      if (r.status === 'running') setTimeout(tick, 1000);
    } catch (e) {
      // The run record is written by the job's first step: wait for it.
      if (e.status === 404) { box.replaceChildren(h('div', { class: 'notice warn', role: 'status' }, what + '：正在启动…')); setTimeout(tick, 500); return; }
      box.replaceChildren(errorNotice(e));
    }
  };
  tick();
}

async function runs() {
  const out = page('月度考核与季度结算作业');
  const aBox = h('div', {}), sBox = h('div', {});
  const aForm = h('form', { class: 'toolbar', id: 'assessment-run' }, h('label', { for: 'run-month' }, '考核月份'),
    h('input', { id: 'run-month', type: 'month', value: prevMonth() }), h('button', { type: 'submit', class: 'primary' }, '开始月度考核'));
  aForm.addEventListener('submit', async e => {
    e.preventDefault();
    const m = aForm.elements[0].value;
    try { await api('POST', '/assessment-runs', { month: m }); } catch (err) { if (err.status !== 409) { aBox.replaceChildren(errorNotice(err)); return; } }
    aBox.replaceChildren(); watchRun('/assessment-runs/' + m, aBox, month(m) + '月度考核');
    aBox.after(h('p', {}, link('#/assessments/' + m, '查看' + month(m) + '考核结果')));
  });
  const sForm = h('form', { class: 'toolbar', id: 'settlement-run' }, h('label', { for: 'run-quarter' }, '结算季度'),
    h('input', { id: 'run-quarter', value: thisQuarter(), size: 8 }), h('button', { type: 'submit', class: 'primary' }, '开始季度结算'));
  sForm.addEventListener('submit', async e => {
    e.preventDefault();
    const qt = sForm.elements[0].value.trim();
    try { await api('POST', '/settlement-runs', { quarter: qt }); } catch (err) { if (err.status !== 409) { sBox.replaceChildren(errorNotice(err)); return; } }
    sBox.replaceChildren(); watchRun('/settlement-runs/' + qt, sBox, quarter(qt) + '结算');
  });
  add(out, h('h2', {}, '月度考核（P§19）'), aForm, aBox, h('h2', {}, '季度结算（S§15–S§18）'), sForm, sBox);
  return out;
}

// ---- audit ----

async function audit(_, q) {
  const entity = q.get('entity') || '';
  const out = page('审计追踪');
  const input = h('input', { value: entity, id: 'entity', 'aria-label': '对象（如 product/编号）', size: 40 });
  add(out, h('form', { class: 'toolbar noprint', onsubmit: e => { e.preventDefault(); location.hash = '#/audit?entity=' + encodeURIComponent(input.value.trim()); } },
    input, h('button', { type: 'submit' }, '查询')), h('p', { class: 'muted' }, '只读：每次变更的时间、经办人、操作及变更前后（SPEC 6）。'));
  if (!entity) return out;
  const res = await api('GET', '/audit?limit=200&entity=' + encodeURIComponent(entity));
  const [kind, id] = entity.split('/');
  const names = kind === 'product' ? await productNames([id]) : {};
  const title = kind === 'product' ? names[id]?.name : null;
  if (title) out.querySelector('h1').textContent = '审计追踪：' + title;
  const actions = { 'product.create': '创建产品', 'product.update': '修改产品', 'submission.create': '提交事项', 'submission.revise': '修改事项' };
  add(out, table(['时间', '经办人', '操作', '变更的字段'], res.items.map(e => {
    const before = e.before || {}, after = e.after || {};
    const changed = Object.keys({ ...before, ...after }).filter(k => JSON.stringify(before[k]) !== JSON.stringify(after[k]) && !['version', 'updatedAt'].includes(k));
    return tr(e.at.replace('T', ' ').slice(0, 19), who(e.actor), actions[e.action] || e.action,
      h('details', {}, h('summary', {}, changed.length ? `变更 ${changed.length} 项（展开查看变更前后）` : '—'),
        h('pre', { class: 'json' }, JSON.stringify({ before: e.before, after: e.after }, null, 1))));
  }), { id: 'trail' }));
  return out;
}

// routes maps #/paths to pages; captures are passed in order.
export const routes = [
  [/^\/$/, dashboard],
  [/^\/products$/, products],
  [/^\/products\/new$/, newProduct],
  [/^\/products\/([^/]+)$/, product],
  [/^\/submissions$/, submissions],
  [/^\/submissions\/new$/, newSubmission],
  [/^\/submissions\/([^/]+)\/revise$/, reviseSubmission],
  [/^\/submissions\/([^/]+)$/, submission],
  [/^\/reviews$/, reviews],
  [/^\/assessments(?:\/(\d{4}-\d{2}))?$/, assessments],
  [/^\/partners$/, partners],
  [/^\/partners\/([^/]+)$/, partnerView],
  [/^\/projects\/([^/]+)$/, project],
  [/^\/settlements$/, settlements],
  [/^\/admin$/, admin],
  [/^\/admin\/imports$/, imports],
  [/^\/admin\/people$/, peopleAdmin],
  [/^\/admin\/policy$/, policyVersions],
  [/^\/admin\/runs$/, runs],
  [/^\/audit$/, audit],
];
