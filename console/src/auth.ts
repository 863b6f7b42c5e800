/** The access screen: an API key or JWT for the gateway, kept for this tab only. */
import { getToken, setToken } from './auth-store.ts';
import { onAuthRequired } from './client.ts';
import { h, replace } from './dom.ts';

export function mountAuth(section: HTMLElement): void {
  const input = h('input', {
    id: 'auth-token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'tg_… or eyJ…',
  });
  const status = h('p', { id: 'auth-status', role: 'status', 'aria-live': 'polite' });
  const alert = h('p', { class: 'alert', role: 'alert', hidden: true });

  const show = () => {
    const token = getToken();
    status.textContent = token
      ? `A key is stored for this tab (ending in …${token.slice(-4)}) and sent with every request.`
      : 'No key stored: requests go without credentials (enough when the gateway’s auth is off, as in development).';
  };

  const form = h(
    'form',
    {
      'aria-label': 'API key',
      onsubmit: (event) => {
        event.preventDefault();
        setToken(input.value);
        input.value = '';
        alert.hidden = true;
        show();
      },
    },
    h('label', { for: 'auth-token' }, 'API key or JWT'),
    input,
    h('button', { type: 'submit' }, 'Save key'),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          setToken(null);
          show();
        },
      },
      'Forget key',
    ),
  );

  replace(
    section,
    h('h2', { id: 'auth-heading' }, 'Access'),
    h(
      'p',
      { class: 'hint' },
      'The key is kept in this tab’s session storage and sent as ',
      h('code', {}, 'Authorization: Bearer …'),
      ' (and in the WebSocket’s connection_init).',
    ),
    form,
    status,
    alert,
  );
  show();

  onAuthRequired((error) => {
    alert.hidden = false;
    alert.textContent = getToken()
      ? `The gateway refused the stored key: ${error.message}. Enter another API key or JWT.`
      : `The gateway requires an API key or JWT: ${error.message}.`;
    section.scrollIntoView({ block: 'start' });
    input.focus();
  });
}
