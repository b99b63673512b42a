// Commits: create one atomic commit of many files, read history, read one commit.
import { FastifyInstance } from 'fastify';
import { invalid, tooLarge, unprocessable } from '../../../errors.js';
import { base64DecodedLength } from '../../../base64.js';
import { pathLimitProblem } from '../../../git/tree-shape.js';
import type { Limits } from '../../../limits.js';
import { offerChunk, RECORD_HEADER } from '../../../store/arena.js';
import { takePreparedContent } from '../json-offload.js';
import { FileWrite } from '../../../commands/commit.js';
import { commitOffLoop } from '../../../commands/commit-off-loop.js';
import { repositoryReplaced } from '../../../commands/bundle-import.js';
import { IdentityInput, toIdentity } from '../../../commands/identity.js';
import { decodeCursor } from '../../../commands/log.js';
import { historyOffLoop, sendJsonReply } from '../../../commands/off-loop.js';
import { readCommit, resolveCommit } from '../../../commands/resolve.js';
import { FileMode, isObjectId, rememberObjectId } from '../../../git/objects.js';
import { pathProblem } from '../../../git/refname.js';
import { RouteContext, RepoParams } from '../context.js';
import { commitJson } from '../present.js';
import { historyPage } from '../reply-schemas.js';
import { commit, errors, identityInput, nullableSha, repoParams, sha } from '../schemas.js';

interface CommitBody {
  branch: string;
  message: string;
  author: IdentityInput;
  committer?: IdentityInput;
  files?: { path: string; content: string; encoding?: 'utf8' | 'base64'; mode?: FileMode }[];
  deletes?: string[];
  expectedHead?: string | null;
  createBranch?: boolean;
}

type FileInput = NonNullable<CommitBody['files']>[number];

/**
 * A file's bytes within the limits: decoded and hashed by a worker when the body was large (json-offload.ts; the blob
 * record is then adopted by the store as it is), here otherwise. Paths over the structural limits are refused too.
 */
function decodeContent(f: FileInput, limits: Limits): Buffer {
  const limit = pathLimitProblem(f.path, limits);
  if (limit) throw unprocessable(limit[0], `${JSON.stringify(f.path.slice(0, 200))}: ${limit[1]}`);
  const tooBig = (bytes: number) =>
    tooLarge('object_too_large', `content of ${JSON.stringify(f.path)} is ${bytes} bytes, over the object size limit of ${limits.maxObjectBytes}`);
  const badBase64 = () => invalid('invalid_base64', `content of ${JSON.stringify(f.path)} is not valid base64`);
  const prepared = takePreparedContent(f);
  if (prepared?.kind === 'invalid_base64') throw badBase64();
  if (prepared?.kind === 'too_large') throw tooBig(prepared.bytes);
  if (prepared?.kind === 'blob') {
    offerChunk(prepared.record);
    const data = Buffer.from(prepared.record, RECORD_HEADER);
    rememberObjectId('blob', data, prepared.id);
    return data;
  }
  const bytes = f.encoding === 'base64' ? base64DecodedLength(f.content) : Buffer.byteLength(f.content, 'utf8');
  if (bytes < 0) throw badBase64();
  if (bytes > limits.maxObjectBytes) throw tooBig(bytes);
  return Buffer.from(f.content, f.encoding === 'base64' ? 'base64' : 'utf8');
}

export function commitRoutes(app: FastifyInstance, { store, limits }: RouteContext): void {
  app.post<{ Params: RepoParams; Body: CommitBody }>('/repos/:repo/commits', {
    schema: {
      summary: 'Create one atomic commit of many file writes and deletes on a branch',
      tags: ['commits'],
      params: repoParams,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['branch', 'message', 'author'],
        properties: {
          branch: { type: 'string', minLength: 1, maxLength: 255 },
          message: { type: 'string', minLength: 1 },
          author: identityInput,
          committer: identityInput,
          files: {
            type: 'array',
            maxItems: 100000,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['path', 'content'],
              properties: {
                path: { type: 'string', minLength: 1 },
                content: { type: 'string' },
                encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8' },
                mode: { type: 'string', enum: ['100644', '100755', '120000'], default: '100644' },
              },
            },
          },
          deletes: { type: 'array', maxItems: 100000, items: { type: 'string', minLength: 1 } },
          expectedHead: { ...nullableSha, description: 'Branch must be at this commit (null: must not exist yet), else 409' },
          createBranch: {
            type: 'boolean', default: true,
            description: 'false: the branch must exist, else 404 branch_not_found (a misspelled branch does not start a new history)',
          },
        },
      },
      response: {
        201: {
          type: 'object',
          properties: { sha, tree: sha, parents: { type: 'array', items: sha }, branch: { type: 'string' }, seq: { type: 'integer' } },
        },
        ...errors,
      },
    },
  }, async (req, reply) => {
    const name = req.params.repo;
    const repo = store.get(name);
    const b = req.body;
    const now = new Date();
    const author = toIdentity(b.author, 'author', now);
    const committer = b.committer ? toIdentity(b.committer, 'committer', now) : author;
    const files: FileWrite[] = (b.files ?? []).map((f) => ({ path: f.path, content: decodeContent(f, limits), mode: f.mode ?? '100644' }));
    // Large commits are computed in a worker (commands/commit-off-loop.ts), small ones here.
    const result = await commitOffLoop(repo, {
      branch: b.branch, message: b.message, author, committer, files, deletes: b.deletes ?? [], expectedHead: b.expectedHead,
      createBranch: b.createBranch,
    }, (current) => {
      if (store.get(name) !== current) throw repositoryReplaced(name);
    });
    return reply.status(201).header('x-govc-seq', String(result.seq)).send(result);
  });

  app.get<{ Params: RepoParams; Querystring: { ref?: string; path?: string; limit?: number; cursor?: string } }>('/repos/:repo/commits', {
    schema: {
      summary: 'History, newest first, optionally only commits touching a path',
      tags: ['commits'],
      params: repoParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ref: { type: 'string', minLength: 1, description: 'any revision; default HEAD' },
          path: { type: 'string' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
          cursor: { type: 'string' },
        },
      },
      // Deep pages and pages with a path are computed and serialized by a worker from this same schema (commands/off-loop.ts).
      response: { 200: historyPage, ...errors },
    },
  }, async (req, reply) => {
    const repo = store.get(req.params.repo);
    const q = req.query;
    const path = q.path?.replace(/\/+$/, '') || undefined;
    if (path !== undefined) {
      const problem = pathProblem(path);
      if (problem) throw invalid('invalid_path', `path ${JSON.stringify(q.path)} ${problem}`);
    }
    const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    const start = cursor?.start ?? resolveCommit(repo, q.ref ?? 'HEAD');
    const page = await historyOffLoop(repo, { start, path, limit: q.limit ?? 50, skip: cursor?.skip ?? 0 });
    return 'value' in page ? page.value : sendJsonReply(reply, page);
  });

  app.get<{ Params: RepoParams & { sha: string } }>('/repos/:repo/commits/:sha', {
    schema: {
      summary: 'One commit by any revision (full or unique short sha, branch, tag, HEAD, main~2, v1^{commit}, ...)',
      tags: ['commits'],
      params: { type: 'object', required: ['repo', 'sha'], properties: { repo: { type: 'string' }, sha: { type: 'string' } } },
      response: { 200: commit, ...errors },
    },
  }, async (req) => {
    const repo = store.get(req.params.repo);
    const id = isObjectId(req.params.sha) ? req.params.sha : resolveCommit(repo, req.params.sha);
    return commitJson(id, readCommit(repo, id));
  });
}
