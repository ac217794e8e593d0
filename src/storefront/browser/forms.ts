/**
 * Reclaim's email and SMS opt-in forms, bundled into `dist/storefront/forms.js`. A page places
 * `<div data-reclaim-form="email"></div>` (or `"sms"`) and loads the script with its publishable key.
 * Each box starts unticked; each submission is one `/v1/consent` decision for that channel only, carrying
 * the proof RULES.md §2 asks for: the exact wording shown and its version, the time, the page, the form,
 * the box's initial state, and the address or number. No cookie is written and no tracking is implied.
 */

type Kind = 'email' | 'sms';

interface FormsConfig {
  forms: Record<Kind, { wording: string; version: string }>;
}

const script = document.currentScript as HTMLScriptElement | null;
const reclaimOrigin = script?.src ? new URL(script.src).origin : location.origin;
const key = script?.dataset.key ?? '';

const LABELS: Record<Kind, { field: string; type: string; autocomplete: AutoFill; submit: string }> = {
  email: { field: 'Email address', type: 'email', autocomplete: 'email', submit: 'Subscribe' },
  sms: { field: 'Mobile number', type: 'tel', autocomplete: 'tel', submit: 'Subscribe to texts' },
};

let counter = 0;

function render(host: HTMLElement, kind: Kind, wording: { wording: string; version: string }): void {
  const labels = LABELS[kind];
  const id = `reclaim-${kind}-${++counter}`;
  const formId = host.dataset.formId ?? `reclaim-${kind}-form`;
  const form = document.createElement('form');
  form.className = 'reclaim-optin';
  form.noValidate = false;
  const field = document.createElement('label');
  field.htmlFor = `${id}-value`;
  field.textContent = host.dataset.fieldLabel ?? labels.field;
  const input = document.createElement('input');
  input.id = `${id}-value`;
  input.name = kind === 'email' ? 'email' : 'phone';
  input.type = labels.type;
  input.required = true;
  input.autocomplete = labels.autocomplete;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = `${id}-consent`;
  box.required = true;
  box.checked = false;
  const boxLabel = document.createElement('label');
  boxLabel.htmlFor = box.id;
  boxLabel.textContent = wording.wording;
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.textContent = host.dataset.submitLabel ?? labels.submit;
  const status = document.createElement('p');
  status.setAttribute('role', 'status');
  status.className = 'reclaim-optin-status';
  const consentRow = document.createElement('div');
  consentRow.append(box, ' ', boxLabel);
  form.append(field, input, consentRow, submit, status);
  host.replaceChildren(form);
  const initialState = box.checked ? 'checked' : 'unchecked';

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!box.checked) {
      status.textContent = 'Tick the box to subscribe.';
      return;
    }
    submit.disabled = true;
    const body = {
      key,
      subject: kind === 'email' ? { email: input.value } : { phone: input.value },
      permission: kind,
      state: 'granted',
      source: 'reclaim-form',
      wording: boxLabel.textContent,
      wordingVersion: wording.version,
      initialState,
      formId,
      captureUrl: location.origin + location.pathname,
      gpc: navigator.globalPrivacyControl === true,
      timestamp: new Date().toISOString(),
    };
    fetch(`${reclaimOrigin}/v1/consent?key=${encodeURIComponent(key)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(body),
      credentials: 'omit',
    })
      .then(async (response) => {
        if (response.ok) {
          status.textContent = 'Thank you, you are subscribed.';
          host.dispatchEvent(new CustomEvent('reclaim:optin', { bubbles: true, detail: { kind } }));
          return;
        }
        const answer = (await response.json().catch(() => undefined)) as
          { error?: { message?: string } } | undefined;
        status.textContent = `Not subscribed: ${answer?.error?.message ?? response.status}`;
      })
      .catch(() => {
        status.textContent = 'Not subscribed: the store could not be reached. Please try again.';
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
}

declare global {
  interface Navigator {
    globalPrivacyControl?: boolean;
  }
}

async function start(): Promise<void> {
  if (document.readyState === 'loading') {
    await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
  }
  const hosts = Array.from(document.querySelectorAll<HTMLElement>('[data-reclaim-form]'));
  if (hosts.length === 0) return;
  let config: FormsConfig;
  try {
    const response = await fetch(`${reclaimOrigin}/v1/consent/config?${new URLSearchParams({ key })}`, {
      credentials: 'omit',
    });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    config = (await response.json()) as FormsConfig;
  } catch (error) {
    console.error('[Reclaim] opt-in forms could not reach Reclaim at', reclaimOrigin, error);
    return;
  }
  for (const host of hosts) {
    const kind = host.dataset.reclaimForm;
    if (kind === 'email' || kind === 'sms') render(host, kind, config.forms[kind]);
    else console.error('[Reclaim] data-reclaim-form must be email or sms, not', kind);
  }
}

void start();
