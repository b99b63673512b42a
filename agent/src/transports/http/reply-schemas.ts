// Reply schemas of the routes whose answers a worker thread may serialize (compare, history, tree and ref listings): fastify
// serializes a reply on the main thread with fast-json-stringify compiled from the route's schema, and a worker compiles
// the very same schema objects (workers/reply-json.ts), so both give the same bytes.
import { commit, nullableSha, sha } from './schemas.js';

export const fileChange = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    status: { type: 'string', enum: ['added', 'modified', 'deleted', 'type_changed', 'renamed'] },
    oldPath: { type: 'string', description: 'renamed: the path it had at the merge base' },
    similarity: { type: 'integer', description: 'renamed: git\'s similarity index, in percent' },
    oldMode: { type: 'string' }, newMode: { type: 'string' }, oldId: sha, newId: sha,
  },
} as const;

export const compareReply = {
  type: 'object',
  properties: {
    base: sha, head: sha, mergeBase: nullableSha, status: { type: 'string' }, aheadBy: { type: 'integer' }, behindBy: { type: 'integer' },
    commits: { type: 'array', items: commit }, next: { type: 'string' }, files: { type: 'array', items: fileChange }, patch: { type: 'string' },
  },
} as const;

export const historyPage = { type: 'object', properties: { commits: { type: 'array', items: commit }, next: { type: 'string' } } } as const;

export const treeListing = {
  type: 'object',
  properties: {
    commit: sha,
    path: { type: 'string' },
    id: sha,
    entries: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' }, path: { type: 'string' }, type: { type: 'string' }, mode: { type: 'string' }, id: sha,
          size: { type: ['integer', 'null'] },
        },
      },
    },
  },
} as const;

export const branch = { type: 'object', properties: { name: { type: 'string' }, sha } } as const;

export const tag = {
  type: 'object',
  properties: {
    name: { type: 'string' }, sha, annotated: { type: 'boolean' }, commit: nullableSha, message: { type: 'string' },
    tagger: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string' }, date: { type: 'string' } } },
  },
} as const;

export const branchList = { type: 'object', properties: { branches: { type: 'array', items: branch } } } as const;

export const tagList = { type: 'object', properties: { tags: { type: 'array', items: tag } } } as const;
