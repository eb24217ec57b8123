// Generates scenarios/sample.jsonl: a realistic, varied sample of recorded
// prompts in the three line forms. Deterministic (seeded), so running it again
// reproduces the committed file byte for byte.
// Usage: node scripts/make-scenarios.mjs [--out scenarios/sample.jsonl] [--count 360]
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const OUT = arg('--out', 'scenarios/sample.jsonl');
const COUNT = Number(arg('--count', '360'));

// mulberry32, the same generator as src/shared/clock.ts's seededRng.
function seededRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = seededRng(20250601);
const pick = (xs) => xs[Math.floor(rng() * xs.length)];
const int = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const weighted = (pairs) => {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [v, w] of pairs) {
    r -= w;
    if (r < 0) return v;
  }
  return pairs[pairs.length - 1][0];
};

const LANGS = [
  ['en', 50],
  ['vi', 13],
  ['zh', 13],
  ['ja', 12],
  ['ko', 12],
];

// ---------- customer support ----------
const SUPPORT_SYSTEM = {
  en: 'You are a friendly support agent for Northwind Outfitters, an online outdoor-gear shop. Be concise, apologise once when something went wrong, and never promise refunds outside the 30-day policy.',
  vi: 'Bạn là nhân viên chăm sóc khách hàng của cửa hàng trực tuyến Northwind. Trả lời ngắn gọn, lịch sự, bằng tiếng Việt.',
  zh: '你是 Northwind 户外用品网店的客服助手。回答要简洁、礼貌，用简体中文回复。退款政策为 30 天内。',
  ja: 'あなたはアウトドア用品の通販ショップ「Northwind」のカスタマーサポート担当です。丁寧かつ簡潔に日本語で回答してください。',
  ko: '당신은 아웃도어 용품 온라인 쇼핑몰 Northwind의 고객지원 상담원입니다. 친절하고 간결하게 한국어로 답변하세요.',
};
const SUPPORT_ASKS = {
  en: [
    'My order #{order} was supposed to arrive on Monday and the tracking page has not updated in four days. Can you check what is going on?',
    'I received the {item} in the wrong size (I ordered M, got XL). How do I exchange it?',
    'I was charged twice for order #{order}. Please refund the duplicate charge.',
    'Can I change the delivery address for order #{order}? I am moving this weekend.',
    'The zipper on my new {item} broke after two hikes. Is this covered by the warranty?',
    'Do you ship to Canada, and how long does it usually take?',
    'I forgot my password and the reset email never arrives. My account email is {email}.',
    'Is the {item} waterproof or only water-resistant? I need it for a week of rain in Scotland.',
  ],
  vi: [
    'Đơn hàng #{order} của tôi đã quá hạn giao ba ngày mà vẫn chưa nhận được. Bạn kiểm tra giúp tôi được không?',
    'Tôi muốn đổi {item} sang size nhỏ hơn. Thủ tục như thế nào?',
    'Tôi bị trừ tiền hai lần cho đơn hàng #{order}. Làm sao để được hoàn tiền?',
    'Cửa hàng có giao hàng đến Đà Nẵng không và mất bao lâu?',
  ],
  zh: [
    '我的订单 #{order} 已经超过预计送达时间三天了，物流信息一直没有更新，能帮我查一下吗？',
    '我收到的{item}尺码不对，我买的是 M 码，收到的是 XL 码，怎么换货？',
    '订单 #{order} 被重复扣款了两次，请帮我退还多扣的钱。',
    '请问你们的{item}是防水的吗？下周要去云南徒步。',
  ],
  ja: [
    '注文番号 #{order} の商品がまだ届きません。配送状況を確認していただけますか？',
    '届いた{item}のサイズが違いました（M を注文したのに XL が届きました）。交換の方法を教えてください。',
    '同じ注文 #{order} で二重に請求されています。返金をお願いします。',
    '{item}は防水ですか？来週、屋久島に行く予定です。',
  ],
  ko: [
    '주문번호 #{order} 상품이 예정일보다 사흘이나 늦었는데 아직 배송 조회가 안 됩니다. 확인 부탁드립니다.',
    '받은 {item} 사이즈가 잘못 왔어요 (M 주문, XL 수령). 교환은 어떻게 하나요?',
    '주문 #{order} 결제가 두 번 됐습니다. 중복 결제 환불해 주세요.',
    '{item} 방수 되나요? 다음 주에 지리산 등산 가요.',
  ],
};
const ITEMS = {
  en: ['rain jacket', 'hiking boots', 'down vest', 'trail backpack', 'sleeping bag'],
  vi: ['áo khoác chống nước', 'giày leo núi', 'ba lô'],
  zh: ['冲锋衣', '登山鞋', '羽绒背心', '背包'],
  ja: ['レインジャケット', '登山靴', 'ダウンベスト', 'バックパック'],
  ko: ['방수 재킷', '등산화', '패딩 조끼', '배낭'],
};
const fill = (s, lang) =>
  s
    .replaceAll('{order}', String(int(100000, 999999)))
    .replaceAll('{item}', pick(ITEMS[lang]))
    .replaceAll('{email}', `${pick(['sam', 'alex', 'jo', 'kim'])}${int(1, 99)}@example.com`);

function support(lang) {
  const messages = [{ role: 'system', content: SUPPORT_SYSTEM[lang] }];
  if (rng() < 0.25) {
    messages.push({ role: 'user', content: fill(pick(SUPPORT_ASKS[lang]), lang) });
    messages.push({
      role: 'assistant',
      content:
        lang === 'en'
          ? 'Thanks for reaching out! Could you confirm the email address on the order so I can look it up?'
          : {
              vi: 'Cảm ơn bạn đã liên hệ! Bạn xác nhận giúp email đặt hàng nhé?',
              zh: '感谢您的联系！请提供下单时使用的邮箱，我来帮您查询。',
              ja: 'お問い合わせありがとうございます。ご注文時のメールアドレスを教えていただけますか？',
              ko: '문의 감사합니다! 주문하신 이메일 주소를 알려주시겠어요?',
            }[lang],
    });
    messages.push({ role: 'user', content: fill('{email}', lang) });
  } else messages.push({ role: 'user', content: fill(pick(SUPPORT_ASKS[lang]), lang) });
  return { messages, max_tokens: pick([128, 192, 256]), temperature: 0.3 };
}

// ---------- coding ----------
const CODE_TASKS = [
  'Write a TypeScript function `chunk<T>(xs: T[], size: number): T[][]` that splits an array into chunks. Include two unit tests with node:test.',
  'Explain what this Python error means and how to fix it:\n\n```\nTraceback (most recent call last):\n  File "app.py", line 12, in <module>\n    total = sum(prices) / len(prices)\nZeroDivisionError: division by zero\n```',
  "Review this SQL for correctness and performance:\n\n```sql\nSELECT u.id, COUNT(*) FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE o.created_at > now() - interval '30 days' GROUP BY u.id;\n```",
  'Convert this callback-style Node.js code to async/await:\n\n```js\nfs.readFile(path, "utf8", (err, text) => {\n  if (err) return cb(err);\n  parse(text, (err2, doc) => {\n    if (err2) return cb(err2);\n    cb(null, doc.title);\n  });\n});\n```',
  'Write a Go function that retries an HTTP GET up to 3 times with exponential backoff and returns the body.',
  'What is the difference between `git rebase` and `git merge`? When should a team prefer one over the other?',
  'Write a regular expression that matches ISO-8601 dates like 2025-06-01T10:00:00Z and explain each part.',
  'Find the bug:\n\n```ts\nfunction median(xs: number[]) {\n  const s = xs.sort();\n  return s[Math.floor(s.length / 2)];\n}\n```',
  'Write a Bash one-liner that finds the 10 largest files under the current directory, human-readable sizes.',
  'Implement an LRU cache in Rust with get and put in O(1). Keep it short.',
];
const CODE_TASKS_I18N = {
  zh: [
    '用 Python 写一个函数，判断一个字符串是否是回文（忽略大小写和标点），并给出测试用例。',
    '解释一下 JavaScript 中 `==` 和 `===` 的区别，并举例说明。',
  ],
  ja: [
    'Python でフィボナッチ数列を計算する関数をメモ化付きで書いてください。',
    'SQL の INNER JOIN と LEFT JOIN の違いを例を使って説明してください。',
  ],
  ko: ['JavaScript로 배열에서 중복을 제거하는 함수를 작성하고 시간 복잡도를 설명해 주세요.'],
  vi: ['Viết hàm Python đếm số lần xuất hiện của mỗi từ trong một đoạn văn.'],
};
function coding(lang) {
  const task =
    lang !== 'en' && CODE_TASKS_I18N[lang] && rng() < 0.8 ? pick(CODE_TASKS_I18N[lang]) : pick(CODE_TASKS);
  const messages = [];
  if (rng() < 0.6)
    messages.push({
      role: 'system',
      content:
        'You are a senior software engineer. Answer with working code first, then a short explanation.',
    });
  messages.push({ role: 'user', content: task });
  return { messages, max_tokens: pick([256, 384, 512]), temperature: 0 };
}

// ---------- extraction to JSON ----------
const EXTRACT_DOCS = {
  en: [
    'Hi team, please invoice ACME Corp for the March retainer: 40 hours at $150/hour, due April 15. PO number 7781-B. Contact: Dana Ruiz, dana.ruiz@acme.example.',
    'Meeting moved to Thursday 3pm in room 4B. Attendees: Priya, Tom, and the vendor from Lumen Systems. Bring the Q2 forecast.',
    'Order confirmation: 2 x Trail Runner 3 (size 42) at EUR 89.90 each, shipping EUR 4.95, delivery to Rua das Flores 12, Lisbon. Expected 3-5 business days.',
  ],
  vi: [
    'Khách hàng Nguyễn Văn An đặt 3 hộp trà xanh, tổng 450.000 đồng, giao đến 25 Lý Thường Kiệt, Hà Nội trước ngày 10/6.',
  ],
  zh: [
    '客户王芳于 6 月 3 日下单：2 台空气净化器，每台 1299 元，配送地址为上海市浦东新区世纪大道 100 号，要求周末送货。',
  ],
  ja: [
    '山田太郎様より、6月5日に会議室Aを14時から16時まで予約したいとのご依頼がありました。参加者は8名、プロジェクターが必要です。',
  ],
  ko: [
    '김민수 고객님이 6월 7일 서울 강남구 테헤란로 152로 노트북 1대(1,490,000원) 배송을 요청했습니다. 연락처 010-1234-5678.',
  ],
};
const SCHEMA = {
  type: 'json_schema',
  json_schema: {
    name: 'extraction',
    strict: true,
    schema: {
      type: 'object',
      properties: {
        people: { type: 'array', items: { type: 'string' } },
        organisations: { type: 'array', items: { type: 'string' } },
        amounts: {
          type: 'array',
          items: {
            type: 'object',
            properties: { value: { type: 'number' }, currency: { type: 'string' } },
            required: ['value', 'currency'],
            additionalProperties: false,
          },
        },
        dates: { type: 'array', items: { type: 'string' } },
        address: { type: ['string', 'null'] },
      },
      required: ['people', 'organisations', 'amounts', 'dates', 'address'],
      additionalProperties: false,
    },
  },
};
function extraction(lang) {
  const doc = pick(EXTRACT_DOCS[lang]);
  const useSchema = rng() < 0.6;
  return {
    messages: [
      { role: 'system', content: 'Extract structured data from the text. Reply with JSON only, no prose.' },
      {
        role: 'user',
        content: useSchema
          ? doc
          : `Return a JSON object with keys people, organisations, amounts, dates, address.\n\nText:\n${doc}`,
      },
    ],
    response_format: useSchema ? SCHEMA : { type: 'json_object' },
    max_tokens: pick([128, 256]),
    temperature: 0,
  };
}

// ---------- tool calls ----------
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
        required: ['city'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'lookup_order',
      description: 'Order status by order number',
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search_docs',
      description: 'Search the product documentation',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 10 } },
        required: ['query'],
      },
    },
  },
];
const TOOL_ASKS = {
  en: [
    'What is the weather in Oslo right now, in celsius?',
    'Where is my order 448812?',
    'How do I reset the firmware on the TrailCam 2? Search the docs.',
    'Is it raining in Seattle?',
  ],
  vi: ['Thời tiết ở Hà Nội hôm nay thế nào?', 'Đơn hàng 448812 của tôi đang ở đâu?'],
  zh: ['北京现在天气怎么样？', '帮我查一下订单 448812 的状态。'],
  ja: ['東京の今の天気を教えてください。', '注文 448812 の配送状況を調べてください。'],
  ko: ['지금 부산 날씨 어때요?', '주문 448812 배송 상태 확인해 주세요.'],
};
function toolCall(lang) {
  const messages = [
    {
      role: 'system',
      content: "You are an assistant with tools. Call a tool when it helps; answer in the user's language.",
    },
  ];
  const ask = pick(TOOL_ASKS[lang]);
  messages.push({ role: 'user', content: ask });
  if (rng() < 0.35) {
    const callId = `call_${int(100000, 999999)}`;
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: callId,
          type: 'function',
          function: { name: 'lookup_order', arguments: '{"order_id":"448812"}' },
        },
      ],
    });
    messages.push({
      role: 'tool',
      tool_call_id: callId,
      content: '{"order_id":"448812","status":"in_transit","carrier":"DHL","eta":"2025-06-04"}',
    });
  }
  return { messages, tools: TOOLS, tool_choice: 'auto', max_tokens: pick([64, 128, 256]) };
}

// ---------- summarising ----------
const ARTICLES = {
  en: [
    'The city council voted 7-2 on Tuesday to expand the downtown bike-lane network by 14 kilometres over the next two years. Supporters cited a 30% rise in cycling commuters since 2021 and a drop in minor traffic injuries on streets that already have protected lanes. Opponents, mostly from the business association, worried about lost parking and delivery access. The plan includes loading zones on every block and a review after the first year. Funding comes partly from a regional transport grant and partly from parking revenue.',
    'Our Q2 incident review found three outages longer than ten minutes. Two were caused by an expired TLS certificate on the internal load balancer, which the renewal job skipped because of a misconfigured cron schedule. The third was a database failover that took longer than expected because replicas were lagging after a bulk import. Actions: alert on certificates expiring within 14 days, throttle bulk imports, and rehearse failover monthly.',
    'Researchers reported that a small amount of daily walking, around 4,000 steps, was associated with lower all-cause mortality in a pooled analysis of 17 studies with over 220,000 participants. Each additional 1,000 steps was associated with a further reduction. The authors caution that the studies were observational and cannot prove causation.',
  ],
  vi: [
    'Hội nghị sáng nay đã thống nhất kế hoạch mở rộng hệ thống xe buýt điện tại TP. Hồ Chí Minh với 200 xe mới trong năm tới. Chi phí đầu tư dự kiến khoảng 1.500 tỷ đồng, một phần từ ngân sách thành phố và một phần từ nhà đầu tư tư nhân. Các chuyên gia cho rằng kế hoạch sẽ giúp giảm ô nhiễm không khí và ùn tắc giao thông.',
  ],
  zh: [
    '本季度公司营收同比增长 18%，主要来自海外市场和云服务业务。管理层表示，下半年将继续加大研发投入，同时控制营销费用。分析师认为，汇率波动和供应链成本仍是主要风险。',
  ],
  ja: [
    '市は来年度から、公共施設の照明をすべて LED に切り替える計画を発表した。年間の電気代は約 3 割削減される見込みで、初期費用は 5 年ほどで回収できるという。市民からは歓迎の声が多い一方、工事期間中の施設利用への影響を心配する声もある。',
  ],
  ko: [
    '정부는 내년부터 청년 주거 지원 예산을 20% 늘리겠다고 발표했다. 지원 대상은 만 19세부터 34세까지이며, 월세 보조금과 전세 대출 이자 지원이 확대된다. 전문가들은 공급 확대 없이 수요 지원만으로는 한계가 있다고 지적했다.',
  ],
};
function summarise(lang) {
  const ask = {
    en: 'Summarise in three bullet points:',
    vi: 'Tóm tắt trong ba ý chính:',
    zh: '请用三点概括：',
    ja: '3つの要点にまとめてください：',
    ko: '세 가지 요점으로 요약해 주세요:',
  }[lang];
  return {
    messages: [{ role: 'user', content: `${ask}\n\n${pick(ARTICLES[lang])}` }],
    max_tokens: pick([128, 192, 256]),
    temperature: 0.2,
  };
}

// ---------- long context ----------
const POLICY_SECTIONS = [
  "Section {n}. Eligibility. Employees who have completed their probation period may request remote work for up to three days per week, subject to their manager's approval and the needs of the team. Requests are reviewed quarterly.",
  'Section {n}. Equipment. The company provides a laptop, a monitor and a headset. Employees are responsible for a reliable internet connection of at least 50 Mbit/s. Lost or damaged equipment must be reported within 48 hours.',
  'Section {n}. Security. Company data must not be stored on personal devices. Use the VPN on any network outside the office. Screens must be locked when unattended, including at home. Report suspected phishing to security@example.com.',
  "Section {n}. Working hours. Core hours are 10:00 to 15:00 in the employee's contracted time zone. Meetings should be scheduled within core hours whenever possible. Overtime requires written approval in advance.",
  'Section {n}. Expenses. Co-working space fees are reimbursed up to EUR 150 per month with receipts. Home-office furniture is reimbursed once every three years up to EUR 400.',
  'Section {n}. Travel. Trips to the office for team days are paid by the company when the employee lives more than 100 km away. Book through the travel portal at least 14 days ahead.',
];
const LONG_QUESTIONS = [
  'Based on the policy above, can a new employee still in probation work from home two days a week? Quote the section.',
  'List every monetary limit mentioned in the policy, with its section number.',
  'What must an employee do within 48 hours, and what within 14 days?',
  'Write a five-line FAQ for new hires from this policy.',
];
function longContext(lang) {
  const sections = [];
  const n = int(10, 24);
  for (let i = 1; i <= n; i++) sections.push(pick(POLICY_SECTIONS).replace('{n}', String(i)));
  const doc = `REMOTE WORK POLICY (version ${int(2, 6)}.${int(0, 9)})\n\n${sections.join('\n\n')}`;
  const q =
    lang === 'en'
      ? pick(LONG_QUESTIONS)
      : {
          vi: 'Dựa vào chính sách trên, liệt kê các giới hạn chi phí.',
          zh: '根据上面的政策，列出所有费用上限。',
          ja: '上記のポリシーに基づき、費用の上限をすべて挙げてください。',
          ko: '위 정책을 바탕으로 모든 비용 한도를 나열해 주세요.',
        }[lang];
  return {
    messages: [
      {
        role: 'system',
        content: 'Answer strictly from the document. If the document does not say, answer "not specified".',
      },
      { role: 'user', content: `${doc}\n\n---\n\n${q}` },
    ],
    max_tokens: pick([256, 384, 512]),
    temperature: 0,
  };
}

const CATEGORIES = [
  ['support', support, 26],
  ['coding', coding, 18],
  ['extraction', extraction, 16],
  ['tools', toolCall, 14],
  ['summarise', summarise, 14],
  ['long_context', longContext, 12],
];
const MODELS = [
  ['gpt-4.1', 45],
  ['gpt-4.1-mini', 40],
  ['gpt-4o-mini', 15],
];

const RECORDED_ANSWER = {
  support:
    'Thanks for your patience! I have checked your order and it is with the carrier; you should receive it within two business days.',
  coding:
    'Here is a working version:\n\n```ts\nexport function chunk<T>(xs: T[], size: number): T[][] {\n  const out: T[][] = [];\n  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));\n  return out;\n}\n```',
  extraction:
    '{"people":["Dana Ruiz"],"organisations":["ACME Corp"],"amounts":[{"value":6000,"currency":"USD"}],"dates":["April 15"],"address":null}',
  tools: '',
  summarise:
    '- The plan was approved.\n- Supporters cite safety and ridership.\n- A review follows after one year.',
  long_context: 'No. Section 1 requires the probation period to be completed first.',
};

const dayStartMs = Date.UTC(2025, 5, 2, 0, 0, 0);
const lines = [];
for (let i = 0; i < COUNT; i++) {
  const [category, make] = weighted(CATEGORIES.map(([name, fn, w]) => [[name, fn], w]));
  const lang = weighted(LANGS);
  const model = weighted(MODELS);
  const body = { model, ...make(lang) };
  const metadata = { category, lang, tenant: pick(['web', 'mobile', 'partner-api']) };
  const form = i % 3 === 0 ? 'batch' : i % 3 === 1 ? 'plain' : 'recorded';
  const id = `${category}-${String(i + 1).padStart(4, '0')}`;
  if (form === 'batch') {
    lines.push({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body });
  } else if (form === 'plain') {
    lines.push({ id, ...body, metadata });
  } else {
    // Spread over one day, busier in working hours.
    const hour = weighted(Array.from({ length: 24 }, (_, h) => [h, h >= 8 && h <= 18 ? 3 : 1]));
    const ts = dayStartMs + hour * 3_600_000 + int(0, 3_599_999);
    const line = { id, ...body, metadata, timestamp: rng() < 0.5 ? new Date(ts).toISOString() : ts };
    if (rng() < 0.4 && RECORDED_ANSWER[category]) {
      const text = RECORDED_ANSWER[category];
      line.response = {
        id: `chatcmpl-rec${i}`,
        object: 'chat.completion',
        model: `${model}-2025-04-14`,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: int(40, 900), completion_tokens: int(20, 200), total_tokens: 0 },
      };
      line.response.usage.total_tokens =
        line.response.usage.prompt_tokens + line.response.usage.completion_tokens;
    }
    lines.push(line);
  }
}
writeFileSync(OUT, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
console.error(`wrote ${lines.length} prompts to ${OUT}`);
