// git's fsck rules on the REST write paths: commit paths that are ".git" on some filesystem (400 invalid_path), a
// .gitmodules (or an alias of it) written as a symlink or with hostile content (422 fsck_failed), a merge of two clean
// sides that would make a hostile .gitmodules (422), and the repository's export still passing `git fsck --strict`.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitBody, startAgent, type InProcessAgent } from './helpers/agent.js';
import { git, makeTempDir, removeTempDir } from './helpers/git-cli.js';

let agent: InProcessAgent;
const cleanup: string[] = [];
test.before(async () => {
  agent = await startAgent();
});
test.after.always(async () => {
  await agent?.close();
  for (const d of cleanup) removeTempDir(d);
});

async function repoWithMain(name: string): Promise<void> {
  await agent.client.post('/repos', { name });
  const res = await agent.client.post(`/repos/${name}/commits`, commitBody('main', { 'README.md': 'hello\n' }));
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
}

function seqOf(name: string): number {
  return agent.store.get(name).seq;
}

async function exportPassesFsck(t: import('ava').ExecutionContext, name: string): Promise<void> {
  const res = await agent.client.get(`/repos/${name}/bundle`);
  t.is(res.status, 200);
  const dir = makeTempDir();
  cleanup.push(dir);
  writeFileSync(join(dir, 'x.bundle'), res.raw);
  git(['clone', '-q', join(dir, 'x.bundle'), join(dir, 'clone')]);
  t.notThrows(() => git(['fsck', '--strict', '--no-dangling'], { cwd: join(dir, 'clone') }));
}

test('commit paths that name .git on some filesystem are refused (400 invalid_path), nothing written', async (t) => {
  await repoWithMain('paths');
  const seq = seqOf('paths');
  for (const path of ['.git /config', 'git~1/config', '.git./config', '.g\u200cit/config', '.git\\config', '.git::$INDEX_ALLOCATION/config',
    'GIT~1/hooks/post-checkout', 'a/.Git/x', 'a/\ufeff.git/x', '.git\u200d/config']) {
    const res = await agent.client.post('/repos/paths/commits', commitBody('main', { [path]: 'x' }));
    t.is(res.status, 400, `${JSON.stringify(path)}: ${JSON.stringify(res.body)}`);
    t.is(res.body.error.code, 'invalid_path', path);
  }
  t.is(seqOf('paths'), seq);
  // Their harmless neighbours are fine.
  const ok = await agent.client.post('/repos/paths/commits', commitBody('main', { '.github/workflows/ci.yml': 'on: push\n', 'git~2/x': 'y', '.gitx/y': 'z' }));
  t.is(ok.status, 201, JSON.stringify(ok.body));
  await exportPassesFsck(t, 'paths');
});

test('a .gitmodules symlink or hostile .gitmodules content is 422 fsck_failed naming git\'s rule', async (t) => {
  await repoWithMain('modules');
  const seq = seqOf('modules');
  const cases: [Record<string, unknown>, string][] = [
    [{ path: '.gitmodules', content: '/etc/passwd', mode: '120000' }, 'gitmodulesSymlink'],
    [{ path: 'GITMOD~1', content: '../x', mode: '120000' }, 'gitmodulesSymlink'],
    [{ path: 'sub/.gitmodules ', content: '../x', mode: '120000' }, 'gitmodulesSymlink'],
    [{ path: '.gitignore', content: '/etc/gitignore', mode: '120000' }, 'gitignoreSymlink'],
    [{ path: '.gitmodules', content: '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch$IFS/tmp/pwned\n' }, 'gitmodulesUrl'],
    [{ path: '.gitmodules', content: '[submodule "../../modules/x"]\n\tpath = x\n\turl = ./x\n' }, 'gitmodulesName'],
    [{ path: '.gitmodules', content: '[submodule "x"]\n\tpath = -x\n' }, 'gitmodulesPath'],
    [{ path: '.gitmodules', content: '[submodule "x"]\n\tpath = x\n\tupdate = !sh evil.sh\n' }, 'gitmodulesUpdate'],
    [{ path: '.GITMODULES', content: '[submodule "x"]\n\turl = https:///nohost\n' }, 'gitmodulesUrl'],
    [{ path: '.gitattributes', content: `${'*'.repeat(5000)} text\n` }, 'gitattributesLineLength'],
  ];
  for (const [file, check] of cases) {
    const res = await agent.client.post('/repos/modules/commits', { ...commitBody('main', {}), files: [file] });
    t.is(res.status, 422, `${file.path}: ${JSON.stringify(res.body)}`);
    t.is(res.body.error.code, 'fsck_failed');
    t.is(res.body.error.check, check, String(file.path));
    t.regex(res.body.error.object, /^[0-9a-f]{40}$/);
  }
  t.is(seqOf('modules'), seq);
  const fine = await agent.client.post('/repos/modules/commits', commitBody('main', {
    '.gitmodules': '[submodule "lib"]\n\tpath = lib\n\turl = https://example.com/lib.git\n',
  }));
  t.is(fine.status, 201, JSON.stringify(fine.body));
  await exportPassesFsck(t, 'modules');
});

test('a merge of two clean .gitmodules that would make a hostile one is 422, the branch stays', async (t) => {
  await repoWithMain('merge');
  const post = (body: unknown) => agent.client.post('/repos/merge/commits', body);
  t.is((await post(commitBody('main', { '.gitmodules': '# header\n# spacer\n[core]\n\turl = -x\n' }))).status, 201);
  t.is((await agent.client.post('/repos/merge/branches', { name: 'side', from: 'main' })).status, 201);
  // main drops the [core] header (the url is then in no section); side turns the first line into a submodule header.
  t.is((await post(commitBody('main', { '.gitmodules': '# header\n# spacer\n\turl = -x\n' }))).status, 201);
  t.is((await post(commitBody('side', { '.gitmodules': '[submodule "s"]\n# spacer\n[core]\n\turl = -x\n' }))).status, 201);
  const head = agent.store.get('merge').getRef('refs/heads/main');
  const res = await agent.client.post('/repos/merge/merges', { base: 'main', head: 'side' });
  t.is(res.status, 422, JSON.stringify(res.body));
  t.is(res.body.error.check, 'gitmodulesUrl');
  t.is(agent.store.get('merge').getRef('refs/heads/main'), head);
  await exportPassesFsck(t, 'merge');
});
