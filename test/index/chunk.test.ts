import { describe, expect, test } from 'vitest';

import { chunkFile, MAX_CHUNK_CHARS } from '../../src/index/chunk/index.ts';
import type { Chunk, ChunkedFile, Language, WalkedFile } from '../../src/index/types.ts';

function walked(path: string, language: Language, text: string): WalkedFile {
  return { path, blobSha: 'x', size: text.length, language, text };
}

function get(result: ChunkedFile, name: string): Chunk {
  const found = result.chunks.filter((c) => c.name === name);
  if (!found.length) throw new Error(`no chunk named ${name}; have ${result.chunks.map((c) => c.name).join(', ')}`);
  return found[0];
}

function range(chunk: Chunk): [string, number, number] {
  return [chunk.kind, chunk.startLine, chunk.endLine];
}

function names(result: ChunkedFile): string[] {
  return result.chunks.map((c) => c.name);
}

const TS_SOURCE = `import { helper } from './helper.js';
import type { Opts } from '../types';
export * from './all';

/** Counts things. */
export class Counter extends Base {
  private count = 0;

  constructor(private readonly step: number) {
    super();
  }

  /** Adds one step. */
  increment(): number {
    this.count += this.step;
    return this.count;
  }

  get value(): number {
    return this.count;
  }
}

export const renderRepoCard = (repo: Repo, options = {}) => {
  return \`<svg>\${repo.name}</svg>\`;
};

// Formats the date.
proto.format = function (formatStr: string) {
  return formatStr;
};

export interface CardOptions {
  title: string;
}

export type Id = string | number;

export enum Color {
  Red,
  Green,
}
`;

const JS_SOURCE = `'use strict';

var express = require('express');
var utils = require('./utils');

var app = exports = module.exports = {};

app.init = function init() {
  this.cache = {};
  this.settings = {};
};

/**
 * Send a response.
 */

res.send = function send(body) {
  return this.end(body);
};

utils.forEach = (obj, fn) => {
  Object.keys(obj).forEach(fn);
};

module.exports.helpers = {
  trim(str) {
    return str.trim();
  },
  pad: function (str) {
    return ' ' + str;
  },
};

exports.version = function version() {
  return '1.0.0';
};

function lazyLoad() {
  return import('./lazy.js');
}
`;

const PY_SOURCE = `"""Pricing rules for the shop."""
import os.path
from decimal import Decimal
from . import models
from ..core.utils import slugify, Money as M

TAX_RATE = Decimal("0.2")
CURRENCIES = ["EUR", "USD"]
REGISTRY = {}


@register("discount")
@cached
def apply_discount(price, coupons):
    """
    Apply coupons to a price.

        Never below zero.
    """

    def clamp(value):
        return max(0, value)

    return clamp(price - sum(c.amount for c in coupons))


class Cart(Base):
    '''A shopping cart.'''

    items = []

    def __init__(self, owner):
        self.owner = owner

    @property
    def total(self):
        # Sum of all items.
        return sum(self.items)

    class Meta:
        ordering = ["id"]


# Helper for scripts.
def main():
    print(Cart(None).total)
`;

const GO_SOURCE = `// Package server runs the HTTP API.
package server

import (
	"fmt"
	"net/http"

	"github.com/acme/shop/internal/store"
)

// Server serves requests.
type Server struct {
	Addr  string
	store *store.Store
}

// Serve starts listening.
func (s *Server) Serve() error {
	return http.ListenAndServe(s.Addr, nil)
}

func New(addr string) *Server {
	return &Server{Addr: addr}
}
`;

const JAVA_SOURCE = `package com.acme.shop;

import java.util.List;
import com.acme.shop.model.Order;

/** Prices orders. */
public class PriceService {
    private final int rate;

    public PriceService(int rate) {
        this.rate = rate;
    }

    // Computes the total.
    @Override
    public int total(List<Order> orders) {
        return orders.size() * rate;
    }

    static class Cache {
        void clear() {}
    }
}
`;

const RUST_SOURCE = `//! Order storage.
use crate::model::{Order, Item};
use std::collections::HashMap;
mod cache;

/// Stores orders.
#[derive(Debug, Default)]
pub struct Store {
    orders: HashMap<u64, Order>,
}

impl Store {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, id: u64) -> Option<&Order> {
        self.orders.get(&id)
    }
}

impl<T: Item> From<T> for Store {
    fn from(_item: T) -> Self {
        Store::new()
    }
}

pub trait Repository {
    fn save(&mut self, order: Order);
}

pub fn open() -> Store {
    Store::new()
}
`;

const RUBY_SOURCE = `require 'json'
require_relative 'helpers/format'

module Shop
  # A customer's cart.
  class Cart < Base
    def initialize(owner)
      @owner = owner
    end

    def self.build
      new(nil)
    end
  end
end

def checkout(cart)
  cart.total
end
`;

describe('chunkFile: TypeScript', () => {
  test('classes, members, arrow consts, CommonJS-style assignments and declarations with exact lines', async () => {
    const result = await chunkFile(walked('src/counter.ts', 'typescript', TS_SOURCE));
    expect(range(get(result, 'Counter'))).toEqual(['class', 6, 22]);
    expect(get(result, 'Counter').doc).toBe('Counts things.');
    expect(get(result, 'Counter').signature).toBe('export class Counter extends Base');
    expect(range(get(result, 'Counter.constructor'))).toEqual(['method', 9, 11]);
    expect(range(get(result, 'Counter.increment'))).toEqual(['method', 14, 17]);
    expect(get(result, 'Counter.increment').doc).toBe('Adds one step.');
    expect(get(result, 'Counter.increment').signature).toBe('increment(): number');
    expect(range(get(result, 'Counter.value'))).toEqual(['method', 19, 21]);
    expect(range(get(result, 'renderRepoCard'))).toEqual(['function', 24, 26]);
    expect(get(result, 'renderRepoCard').signature).toBe('export const renderRepoCard = (repo: Repo, options = {}) =>');
    expect(range(get(result, 'proto.format'))).toEqual(['method', 29, 31]);
    expect(get(result, 'proto.format').doc).toBe('Formats the date.');
    expect(range(get(result, 'CardOptions'))).toEqual(['interface', 33, 35]);
    expect(range(get(result, 'Id'))).toEqual(['type', 37, 37]);
    expect(range(get(result, 'Color'))).toEqual(['enum', 39, 42]);
    expect(result.symbols).toEqual(['Counter', 'renderRepoCard', 'proto.format', 'CardOptions', 'Id', 'Color']);
    expect(result.imports).toEqual(['./helper.js', '../types', './all']);
    // The text of a chunk is exactly its lines.
    expect(get(result, 'Counter.value').text).toBe('  get value(): number {\n    return this.count;\n  }');
    for (const chunk of result.chunks) {
      expect(chunk.path).toBe('src/counter.ts');
      expect(chunk.language).toBe('typescript');
    }
  });

  test('TSX components and a decorated class', async () => {
    const source = `import React from 'react';

@Component({ selector: 'x' })
export class Widget {}

export function Button({ label }: { label: string }) {
  return <button>{label}</button>;
}

export default function App() {
  return <Button label="hi" />;
}
`;
    const result = await chunkFile(walked('src/app.tsx', 'tsx', source));
    expect(range(get(result, 'Widget'))).toEqual(['class', 3, 4]);
    expect(range(get(result, 'Button'))).toEqual(['function', 6, 8]);
    expect(range(get(result, 'App'))).toEqual(['function', 10, 12]);
    expect(result.imports).toEqual(['react']);
  });
});

describe('chunkFile: JavaScript (CommonJS)', () => {
  test('prototype/object assignments, module.exports objects, exports.x, require and dynamic import', async () => {
    const result = await chunkFile(walked('lib/application.js', 'javascript', JS_SOURCE));
    expect(range(get(result, 'app.init'))).toEqual(['method', 8, 11]);
    expect(range(get(result, 'res.send'))).toEqual(['method', 17, 19]);
    // A JSDoc block separated by a blank line (express's style) still documents the function.
    expect(get(result, 'res.send').doc).toBe('Send a response.');
    expect(get(result, 'res.send').signature).toBe('res.send = function send(body)');
    expect(range(get(result, 'utils.forEach'))).toEqual(['method', 21, 23]);
    expect(range(get(result, 'helpers.trim'))).toEqual(['method', 26, 28]);
    expect(range(get(result, 'helpers.pad'))).toEqual(['method', 29, 31]);
    expect(range(get(result, 'version'))).toEqual(['function', 34, 36]);
    expect(range(get(result, 'lazyLoad'))).toEqual(['function', 38, 40]);
    expect(result.imports).toEqual(['express', './utils', './lazy.js']);
    // `require` lines are imports, not a leftover block of code.
    expect(result.chunks.filter((c) => c.kind === 'block')).toEqual([]);
  });

  test('module.exports = function, default-export arrow, and methods defined inside a plugin factory', async () => {
    const source = `module.exports = function createApplication() {
  return {};
};
`;
    const cjs = await chunkFile(walked('lib/express.js', 'javascript', source));
    expect(range(get(cjs, 'createApplication'))).toEqual(['function', 1, 3]);

    const plugin = `export default (option, Dayjs, dayjs) => {
  const proto = Dayjs.prototype;
  proto.utc = function (keepLocalTime) {
    return this;
  };
};
`;
    const result = await chunkFile(walked('src/plugin/utc/index.js', 'javascript', plugin));
    expect(range(get(result, 'default'))).toEqual(['function', 1, 6]);
    expect(range(get(result, 'proto.utc'))).toEqual(['method', 3, 5]);
    expect(result.symbols).toEqual(['default']);
  });

  test('top-level code outside any symbol becomes a named block', async () => {
    const source = `const app = express();

app.use(cors());
app.use(json());
app.get('/health', health);
app.listen(3000);

function health(req, res) {
  res.send('ok');
}
`;
    const result = await chunkFile(walked('src/server.js', 'javascript', source));
    const block = get(result, 'server:L1-L6');
    expect(range(block)).toEqual(['block', 1, 6]);
    expect(block.text).toContain("app.get('/health', health);");
    expect(range(get(result, 'health'))).toEqual(['function', 8, 10]);
  });
});

describe('chunkFile: Python', () => {
  test('classes, methods, nested classes, decorators and docstrings with exact lines', async () => {
    const result = await chunkFile(walked('shop/pricing.py', 'python', PY_SOURCE));
    const discount = get(result, 'apply_discount');
    // The decorator lines belong to the function.
    expect(range(discount)).toEqual(['function', 12, 24]);
    expect(discount.doc).toBe('Apply coupons to a price.\n\n    Never below zero.');
    expect(discount.signature).toBe('def apply_discount(price, coupons)');
    expect(discount.text.startsWith('@register("discount")\n@cached\ndef apply_discount')).toBe(true);
    // A nested function is part of its parent's chunk, not a symbol of its own.
    expect(names(result).some((n) => n.includes('clamp'))).toBe(false);

    expect(range(get(result, 'Cart'))).toEqual(['class', 27, 41]);
    expect(get(result, 'Cart').doc).toBe('A shopping cart.');
    expect(get(result, 'Cart').signature).toBe('class Cart(Base)');
    expect(range(get(result, 'Cart.__init__'))).toEqual(['method', 32, 33]);
    expect(range(get(result, 'Cart.total'))).toEqual(['method', 35, 38]);
    expect(range(get(result, 'Cart.Meta'))).toEqual(['class', 40, 41]);
    expect(range(get(result, 'main'))).toEqual(['function', 45, 46]);
    expect(get(result, 'main').doc).toBe('Helper for scripts.');

    expect(result.doc).toBe('Pricing rules for the shop.');
    expect(result.symbols).toEqual(['apply_discount', 'Cart', 'main']);
    expect(result.imports).toEqual([
      'os.path',
      'decimal',
      'decimal.Decimal',
      '.',
      '.models',
      '..core.utils',
      '..core.utils.slugify',
      '..core.utils.Money',
    ]);
  });

  test('module-level settings become a block named after the module', async () => {
    const result = await chunkFile(walked('shop/pricing.py', 'python', PY_SOURCE));
    const blocks = result.chunks.filter((c) => c.kind === 'block');
    expect(blocks.map((b) => [b.name, b.startLine, b.endLine])).toEqual([['pricing:L7-L9', 7, 9]]);
    expect(blocks[0].text).toBe('TAX_RATE = Decimal("0.2")\nCURRENCIES = ["EUR", "USD"]\nREGISTRY = {}');
  });

  test('a class larger than the cap keeps its full range, a capped skeleton, and method chunks', async () => {
    const methods = Array.from(
      { length: 60 },
      (_, i) => `    def method_${i}(self):\n        """Method ${i}."""\n        value = ${i}\n${'        value += 1\n'.repeat(4)}        return value\n`,
    ).join('\n');
    const source = `class Big:\n    LIMIT = 10\n\n${methods}`;
    const result = await chunkFile(walked('big.py', 'python', source));
    const lineCount = source.split('\n').length - 1;
    const big = result.chunks.filter((c) => c.name === 'Big');
    expect(big[0].startLine).toBe(1);
    expect(big[0].endLine).toBe(lineCount);
    for (const chunk of result.chunks) expect(chunk.text.length).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    expect(big[0].text).toContain('LIMIT = 10');
    expect(big[0].text).toContain('def method_1(self):');
    expect(result.chunks.filter((c) => c.kind === 'method')).toHaveLength(60);
    expect(get(result, 'Big.method_59').endLine).toBe(lineCount);
  });

  test('a syntax error still yields chunks', async () => {
    const source = `def ok():
    return 1

def broken(:
    pass
  x = = 2

class Fine:
    def m(self):
        return 2
`;
    const result = await chunkFile(walked('broken.py', 'python', source));
    expect(result.chunks.length).toBeGreaterThan(0);
    expect(range(get(result, 'ok'))).toEqual(['function', 1, 2]);
    // Every line of the file is still reachable through some chunk.
    const covered = new Set<number>();
    for (const c of result.chunks) for (let l = c.startLine; l <= c.endLine; l++) covered.add(l);
    expect(covered.has(10)).toBe(true);
  });
});

describe('chunkFile: Go, Java, Rust, Ruby', () => {
  test('Go functions, methods with receivers, structs', async () => {
    const result = await chunkFile(walked('internal/server/server.go', 'go', GO_SOURCE));
    expect(range(get(result, 'Server'))).toEqual(['class', 12, 15]);
    expect(get(result, 'Server').doc).toBe('Server serves requests.');
    expect(get(result, 'Server').signature).toBe('type Server struct');
    expect(range(get(result, 'Server.Serve'))).toEqual(['method', 18, 20]);
    expect(get(result, 'Server.Serve').signature).toBe('func (s *Server) Serve() error');
    expect(get(result, 'Server.Serve').doc).toBe('Serve starts listening.');
    expect(range(get(result, 'New'))).toEqual(['function', 22, 24]);
    expect(result.doc).toBe('Package server runs the HTTP API.');
    expect(result.imports).toEqual(['fmt', 'net/http', 'github.com/acme/shop/internal/store']);
    expect(result.chunks.filter((c) => c.kind === 'block')).toEqual([]);
  });

  test('Java classes, constructors, annotated methods, nested classes', async () => {
    const result = await chunkFile(walked('src/main/java/com/acme/shop/PriceService.java', 'java', JAVA_SOURCE));
    expect(range(get(result, 'PriceService'))).toEqual(['class', 7, 23]);
    expect(get(result, 'PriceService').doc).toBe('Prices orders.');
    expect(range(get(result, 'PriceService.PriceService'))).toEqual(['method', 10, 12]);
    expect(range(get(result, 'PriceService.total'))).toEqual(['method', 15, 18]);
    expect(get(result, 'PriceService.total').doc).toBe('Computes the total.');
    expect(get(result, 'PriceService.total').signature).toBe('public int total(List<Order> orders)');
    expect(range(get(result, 'PriceService.Cache'))).toEqual(['class', 20, 22]);
    expect(range(get(result, 'PriceService.Cache.clear'))).toEqual(['method', 21, 21]);
    expect(result.symbols).toEqual(['PriceService']);
    expect(result.imports).toEqual(['java.util.List', 'com.acme.shop.model.Order']);
  });

  test('Rust structs with attributes, impl and trait-impl methods, traits', async () => {
    const result = await chunkFile(walked('src/store/mod.rs', 'rust', RUST_SOURCE));
    expect(range(get(result, 'Store'))).toEqual(['class', 7, 10]);
    expect(get(result, 'Store').doc).toBe('Stores orders.');
    expect(range(get(result, 'Store.new'))).toEqual(['method', 14, 16]);
    expect(get(result, 'Store.new').doc).toBe('Creates an empty store.');
    expect(get(result, 'Store.new').signature).toBe('pub fn new() -> Self');
    expect(range(get(result, 'Store.get'))).toEqual(['method', 18, 20]);
    expect(range(get(result, 'Store.from'))).toEqual(['method', 24, 26]);
    expect(range(get(result, 'Repository'))).toEqual(['interface', 29, 31]);
    expect(range(get(result, 'open'))).toEqual(['function', 33, 35]);
    expect(result.doc).toBe('Order storage.');
    expect(result.imports).toEqual(['crate::model::Order', 'crate::model::Item', 'std::collections::HashMap', 'mod cache']);
  });

  test('Ruby modules, classes, instance and singleton methods', async () => {
    const result = await chunkFile(walked('lib/shop/cart.rb', 'ruby', RUBY_SOURCE));
    expect(range(get(result, 'Shop'))).toEqual(['module', 4, 15]);
    expect(range(get(result, 'Shop.Cart'))).toEqual(['class', 6, 14]);
    expect(get(result, 'Shop.Cart').doc).toBe("A customer's cart.");
    expect(get(result, 'Shop.Cart').signature).toBe('class Cart < Base');
    expect(range(get(result, 'Shop.Cart.initialize'))).toEqual(['method', 7, 9]);
    expect(range(get(result, 'Shop.Cart.build'))).toEqual(['method', 11, 13]);
    expect(range(get(result, 'checkout'))).toEqual(['function', 17, 19]);
    expect(result.imports).toEqual(['json', './helpers/format']);
  });
});

describe('chunkFile: other tree-sitter languages', () => {
  test('PHP', async () => {
    const source = `<?php
namespace App\\Http;

use App\\Models\\User;
require_once 'helpers.php';

/** Handles users. */
class UserController extends Controller {
    public function show($id) { return User::find($id); }
}

function helper($x) { return $x; }
`;
    const result = await chunkFile(walked('app/Http/UserController.php', 'php', source));
    expect(names(result)).toEqual(expect.arrayContaining(['UserController', 'UserController.show', 'helper']));
    expect(get(result, 'UserController').doc).toBe('Handles users.');
    expect(result.imports).toEqual(['App\\Models\\User', 'helpers.php']);
  });

  test('C', async () => {
    const source = `#include "util.h"
#include <stdio.h>

struct point { int x; int y; };

/* Adds two numbers. */
static int add(int a, int b) {
  return a + b;
}
`;
    const result = await chunkFile(walked('src/math.c', 'c', source));
    expect(names(result)).toEqual(['point', 'add']);
    expect(range(get(result, 'add'))).toEqual(['function', 7, 9]);
    expect(get(result, 'add').doc).toBe('Adds two numbers.');
    expect(result.imports).toEqual(['util.h']);
  });

  test('C++', async () => {
    const source = `#include "widget.hpp"
namespace ui {
class Widget {
 public:
  int size() const { return 0; }
};
int Widget::count(int x) {
  return x;
}
}
`;
    const result = await chunkFile(walked('src/widget.cpp', 'cpp', source));
    expect(names(result)).toEqual(['Widget', 'Widget.size', 'Widget.count']);
    expect(get(result, 'Widget.count').kind).toBe('method');
    expect(result.imports).toEqual(['widget.hpp']);
  });

  test('C#', async () => {
    const source = `using System;
using Acme.Shop.Models;

namespace Acme.Shop
{
    /// <summary>Prices orders.</summary>
    public class PriceService
    {
        public PriceService() {}
        public int Total(int n) { return n; }
    }

    public interface IRepo { void Save(); }
}
`;
    const result = await chunkFile(walked('src/PriceService.cs', 'csharp', source));
    expect(names(result)).toEqual(expect.arrayContaining(['PriceService', 'PriceService.PriceService', 'PriceService.Total', 'IRepo']));
    expect(get(result, 'PriceService').doc).toBe('Prices orders.');
    expect(result.imports).toEqual(['System', 'Acme.Shop.Models']);
  });

  test('Kotlin', async () => {
    const source = `package com.acme

import com.acme.model.Order

class Cart(val owner: String) {
    fun total(): Int = 0
    companion object {
        fun empty() = Cart("")
    }
}

interface Repo { fun save() }

fun main() {}
`;
    const result = await chunkFile(walked('src/Cart.kt', 'kotlin', source));
    expect(names(result)).toEqual(expect.arrayContaining(['Cart', 'Cart.total', 'Cart.empty', 'Repo', 'main']));
    expect(get(result, 'Repo').kind).toBe('interface');
    expect(result.imports).toEqual(['com.acme.model.Order']);
  });

  test('Swift', async () => {
    const source = `import Foundation

/// A cart.
struct Cart {
    func total() -> Int { return 0 }
}

protocol Repo { func save() }

func checkout() {}
`;
    const result = await chunkFile(walked('Sources/Shop/Cart.swift', 'swift', source));
    expect(names(result)).toEqual(expect.arrayContaining(['Cart', 'Cart.total', 'Repo', 'checkout']));
    expect(get(result, 'Cart').doc).toBe('A cart.');
    expect(get(result, 'Repo').kind).toBe('interface');
    expect(result.imports).toEqual(['Foundation']);
  });
});

describe('chunkFile: windows', () => {
  test('Markdown is split at headings, small sections merged, long ones windowed with overlap', async () => {
    const usage = Array.from({ length: 70 }, (_, i) => `Usage line ${i + 1}.`).join('\n');
    const source = `# Shop

A tiny shop.

\`\`\`sh
# not a heading
\`\`\`

## Install

Run the installer.

## Usage

${usage}
`;
    const result = await chunkFile(walked('README.md', 'markdown', source));
    expect(result.chunks.every((c) => c.kind === 'window')).toBe(true);
    const first = result.chunks[0];
    expect(first.name).toBe('Shop');
    // `# not a heading` is inside a code fence; Install is merged into the first window.
    expect([first.startLine, first.endLine]).toEqual([1, 12]);
    const usageWindows = result.chunks.filter((c) => c.name === 'Usage');
    expect(usageWindows.length).toBeGreaterThanOrEqual(2);
    expect(usageWindows[0].startLine).toBe(13);
    expect(usageWindows[1].startLine).toBeLessThan(usageWindows[0].endLine);
    expect(usageWindows[usageWindows.length - 1].endLine).toBe(15 + 70 - 1);
    expect(result.doc).toBe('Shop\nA tiny shop.');
    expect(result.symbols).toEqual(['Shop', 'Install', 'Usage']);
  });

  test('plain windows overlap, are named by their first telling line, and end at blank lines once long enough; a giant file is capped', async () => {
    const source = Array.from({ length: 5000 }, (_, i) => `msgid "line ${i}"`).join('\n');
    const result = await chunkFile(walked('locale/fr/django.po', 'text', source));
    expect(result.chunks.length).toBe(60);
    expect(result.chunks[0].name).toBe('msgid "line 0"');
    expect(result.chunks[0].startLine).toBe(1);
    for (const [i, chunk] of result.chunks.entries()) {
      const own = i === 0 ? chunk.endLine - chunk.startLine + 1 : chunk.endLine - result.chunks[i - 1]!.endLine;
      expect(own).toBeGreaterThanOrEqual(28);
      expect(own).toBeLessThanOrEqual(40);
      // Each window repeats the last 8 lines of the one before, and is named by its first own line.
      if (i > 0) expect(chunk.startLine).toBe(result.chunks[i - 1]!.endLine + 1 - 8);
      if (i > 0) expect(chunk.name).toBe(`msgid "line ${result.chunks[i - 1]!.endLine}"`);
    }

    const paragraphs = Array.from({ length: 12 }, (_, p) => Array.from({ length: 7 }, (_, i) => `Paragraph ${p} says ${i}.`).join('\n')).join('\n\n');
    const prose = await chunkFile(walked('docs/guide.txt', 'text', paragraphs));
    // Paragraphs are 8 lines with their blank line: a window closes at the first blank line once it has 28 own lines.
    expect(prose.chunks.map((c) => [c.startLine, c.endLine])).toEqual([[1, 32], [25, 64], [57, 95]]);
    expect(prose.chunks[1].name).toBe('Paragraph 4 says 0.');
  });

  test('lines too long for one window still make progress: every window is capped and the file is covered', async () => {
    const long = (i: number) => `word${i} `.repeat(700);
    const source = Array.from({ length: 30 }, (_, i) => long(i)).join('\n');
    const result = await chunkFile(walked('docs/wide.txt', 'text', source));
    expect(result.chunks.length).toBeGreaterThan(5);
    for (const [i, chunk] of result.chunks.entries()) {
      expect(chunk.text.length).toBeLessThanOrEqual(6000);
      // A window's text holds its own line: an overlap never crowds it out.
      const own = i === 0 ? chunk.startLine : result.chunks[i - 1]!.endLine + 1;
      expect(chunk.text).toContain(`word${own - 1} word${own - 1}`);
    }
    expect(result.chunks[result.chunks.length - 1]!.endLine).toBe(30);
    expect(new Set(result.chunks.map((c) => c.name)).size).toBe(result.chunks.length);
  });

  test('an edit moves only the windows around it: the others keep name and text at new lines', async () => {
    const para = (p: number) => [`Section ${p}`, ...Array.from({ length: 5 + (p % 4) }, (_, i) => `Text ${p}.${i} of the guide, with some words.`)].join('\n');
    const before = Array.from({ length: 60 }, (_, p) => para(p)).join('\n\n');
    const after = before.replace('Text 10.2 of the guide, with some words.', 'Text 10.2 of the guide,\nnow longer,\nover three lines.');
    for (const language of ['text', 'markdown'] as const) {
      const path = language === 'text' ? 'docs/guide.txt' : 'docs/guide.md';
      const a = await chunkFile(walked(path, language, language === 'markdown' ? before.replace(/^Section/gm, '## Section') : before));
      const b = await chunkFile(walked(path, language, language === 'markdown' ? after.replace(/^Section/gm, '## Section') : after));
      const key = (c: { name: string; text: string }) => `${c.name}\n${c.text}`;
      const kept = new Set(a.chunks.map(key));
      const changed = b.chunks.filter((c) => !kept.has(key(c)));
      expect(a.chunks.length, language).toBeGreaterThan(10);
      expect(changed.length, language).toBeLessThanOrEqual(2);
      // The windows after the edit moved down by the two added lines.
      const last = (chunks: typeof a.chunks) => chunks[chunks.length - 1]!;
      expect(last(b.chunks).startLine - last(a.chunks).startLine, language).toBe(2);
    }
  });

  test('YAML keeps its leading comment as the file doc', async () => {
    const source = `# CI pipeline for the shop.
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
`;
    const result = await chunkFile(walked('.github/workflows/ci.yml', 'yaml', source));
    expect(result.doc).toBe('CI pipeline for the shop.');
    expect(result.chunks).toHaveLength(1);
    expect([result.chunks[0].startLine, result.chunks[0].endLine]).toEqual([1, 6]);
  });
});

describe('chunkFile: bad input never throws', () => {
  test('TypeScript with syntax errors still yields its functions', async () => {
    const source = `function good() {
  return 1;
}
const = ;
function bad( {
`;
    const result = await chunkFile(walked('src/broken.ts', 'typescript', source));
    expect(range(get(result, 'good'))).toEqual(['function', 1, 3]);
  });

  test('binary-looking bytes and odd line endings', async () => {
    const junk = 'def f():\r\n    return "\u0000\u0001\uFFFD\uD800"\r\n\u2028x = 1\r\n';
    for (const language of ['python', 'go', 'typescript', 'rust', 'markdown'] as Language[]) {
      const result = await chunkFile(walked(`junk.${language}`, language, junk));
      expect(Array.isArray(result.chunks)).toBe(true);
      expect(result.chunks.length).toBeGreaterThan(0);
    }
    const empty = await chunkFile(walked('empty.py', 'python', ''));
    expect(empty).toEqual({ chunks: [], doc: '', symbols: [], imports: [] });
  });

  test('a file of only imports still gets one findable chunk', async () => {
    const result = await chunkFile(walked('pkg/__init__.py', 'python', 'from .models import Order\n'));
    expect(result.imports).toEqual(['.models', '.models.Order']);
    expect(result.chunks).toHaveLength(1);
    expect(result.chunks[0].kind).toBe('window');
  });
});
