import { describe, expect, test } from 'vitest';

import { chunkFile } from '../../src/index/chunk/index.ts';
import { buildPathIndex, resolveImports } from '../../src/index/imports.ts';
import type { Language } from '../../src/index/types.ts';

describe('resolveImports: JavaScript / TypeScript', () => {
  const index = buildPathIndex([
    'src/app.ts',
    'src/utils/index.ts',
    'src/lib/format.ts',
    'src/components/Button.tsx',
    'src/legacy.js',
    'src/types.d.ts',
    'package.json',
  ]);

  test('relative specifiers with extension probing, index files and .js written for .ts', () => {
    const resolved = resolveImports(
      'src/app.ts',
      'typescript',
      ['./utils', './lib/format.js', './components/Button', './legacy', './types', 'react', './missing', './app', '../package.json'],
      index,
    );
    expect(resolved).toEqual([
      'src/utils/index.ts',
      'src/lib/format.ts',
      'src/components/Button.tsx',
      'src/legacy.js',
      'src/types.d.ts',
      'package.json',
    ]);
  });

  test('parent directories, duplicates and the file itself', () => {
    expect(resolveImports('src/lib/format.ts', 'typescript', ['../utils/index.js', '../utils', './format', '../../../x'], index)).toEqual([
      'src/utils/index.ts',
    ]);
  });
});

describe('resolveImports: Python', () => {
  const index = buildPathIndex([
    'src/shop/__init__.py',
    'src/shop/models.py',
    'src/shop/utils.py',
    'src/shop/pricing/__init__.py',
    'src/shop/pricing/rules.py',
    'tests/test_pricing.py',
    'tools/json.py',
    'django/__init__.py',
    'django/db/__init__.py',
    'django/db/models/__init__.py',
    'django/db/models/query.py',
  ]);

  test('absolute modules under a src/ root, packages, relative imports; third-party and shadowing names dropped', () => {
    const resolved = resolveImports(
      'src/shop/pricing/rules.py',
      'python',
      ['shop.models', '..utils', '.', 'shop.pricing', 'os', 'json', 'django.utils.text', '..models.Order', '...outside'],
      index,
    );
    expect(resolved).toEqual(['src/shop/models.py', 'src/shop/utils.py', 'src/shop/pricing/__init__.py']);
  });

  test('`from . import x` from a package __init__, and absolute packages at the repository root', () => {
    expect(resolveImports('src/shop/__init__.py', 'python', ['.', '.models'], index)).toEqual(['src/shop/models.py']);
    expect(
      resolveImports('django/db/models/query.py', 'python', ['django.db', 'django.db.models', 'django.db.models.sql', 'django.db.IntegrityError'], index),
    ).toEqual(['django/db/__init__.py', 'django/db/models/__init__.py']);
    expect(resolveImports('tests/test_pricing.py', 'python', ['shop.pricing.rules', 'shop.pricing.rules.apply'], index)).toEqual([
      'src/shop/pricing/rules.py',
    ]);
  });

  test('imports found by the chunker resolve end to end', async () => {
    const text = 'from . import models\nfrom ..utils import slugify\nimport shop.pricing\n\n\ndef f():\n    from shop import utils\n';
    const chunked = await chunkFile({ path: 'src/shop/pricing/rules.py', blobSha: 'x', size: text.length, language: 'python', text });
    expect(resolveImports('src/shop/pricing/rules.py', 'python', chunked.imports, index)).toEqual([
      'src/shop/pricing/__init__.py',
      'src/shop/utils.py',
      'src/shop/__init__.py',
    ]);
  });
});

describe('resolveImports: Go', () => {
  test('an import path resolves to every non-test .go file of the package directory', () => {
    const index = buildPathIndex([
      'go.mod',
      'cmd/server/main.go',
      'internal/store/store.go',
      'internal/store/cache.go',
      'internal/store/store_test.go',
      'internal/store/README.md',
      'internal/api/api.go',
      'http/handler.go',
    ]);
    const resolved = resolveImports(
      'cmd/server/main.go',
      'go',
      ['fmt', 'net/http', 'github.com/acme/shop/internal/store', 'github.com/other/lib'],
      index,
    );
    expect(resolved.sort()).toEqual(['internal/store/cache.go', 'internal/store/store.go']);
  });

  test('a module in a subdirectory still resolves by its trailing path', () => {
    const index = buildPathIndex(['backend/go.mod', 'backend/internal/db/db.go', 'backend/cmd/app/main.go']);
    expect(resolveImports('backend/cmd/app/main.go', 'go', ['github.com/acme/app/internal/db'], index)).toEqual(['backend/internal/db/db.go']);
  });
});

describe('resolveImports: Rust', () => {
  const index = buildPathIndex([
    'Cargo.toml',
    'src/lib.rs',
    'src/model.rs',
    'src/store/mod.rs',
    'src/store/cache.rs',
    'src/util/text.rs',
    'crates/shop-core/src/lib.rs',
    'crates/shop-core/src/money.rs',
  ]);

  test('crate paths, mod declarations, super paths and workspace crates', () => {
    expect(
      resolveImports('src/store/mod.rs', 'rust', ['crate::model::Order', 'mod cache', 'super::util::text::slug', 'std::io', 'shop_core::money::Money'], index),
    ).toEqual(['src/model.rs', 'src/store/cache.rs', 'src/util/text.rs', 'crates/shop-core/src/money.rs']);
    expect(resolveImports('src/lib.rs', 'rust', ['mod store', 'crate::util::text', 'mod missing'], index)).toEqual([
      'src/store/mod.rs',
      'src/util/text.rs',
    ]);
  });

  test('imports found by the chunker resolve end to end', async () => {
    const text = 'use crate::model::{Order, Item};\nmod cache;\n\nfn f() {}\n';
    const chunked = await chunkFile({ path: 'src/store/mod.rs', blobSha: 'x', size: text.length, language: 'rust', text });
    expect(resolveImports('src/store/mod.rs', 'rust', chunked.imports, index)).toEqual(['src/model.rs', 'src/store/cache.rs']);
  });
});

describe('resolveImports: other languages', () => {
  test('Java and Kotlin by package path suffix', () => {
    const index = buildPathIndex([
      'src/main/java/com/acme/shop/model/Order.java',
      'src/main/java/com/acme/shop/PriceService.java',
      'app/src/main/kotlin/com/acme/util/Strings.kt',
    ]);
    const from = 'src/main/java/com/acme/shop/PriceService.java';
    expect(resolveImports(from, 'java', ['com.acme.shop.model.Order', 'java.util.List', 'com.acme.shop.model.Order.Status', 'com.acme.shop.model.*'], index)).toEqual([
      'src/main/java/com/acme/shop/model/Order.java',
    ]);
    expect(resolveImports(from, 'kotlin', ['com.acme.util.Strings'], index)).toEqual(['app/src/main/kotlin/com/acme/util/Strings.kt']);
  });

  test('Ruby require_relative and require under lib/', () => {
    const index = buildPathIndex(['lib/shop.rb', 'lib/shop/cart.rb', 'app/models/cart.rb', 'spec/cart_spec.rb']);
    expect(resolveImports('lib/shop.rb', 'ruby', ['./shop/cart', 'json'], index)).toEqual(['lib/shop/cart.rb']);
    expect(resolveImports('spec/cart_spec.rb', 'ruby', ['shop/cart', '../app/models/cart'], index)).toEqual(['lib/shop/cart.rb', 'app/models/cart.rb']);
  });

  test('C/C++ quoted includes: relative first, then by unique suffix', () => {
    const index = buildPathIndex(['src/main.c', 'src/util.h', 'include/shop/api.h', 'lib/util.h']);
    expect(resolveImports('src/main.c', 'c', ['util.h', 'shop/api.h', 'missing.h'], index)).toEqual(['src/util.h', 'include/shop/api.h']);
  });

  test('PHP namespaces by case-insensitive path suffix; C# namespaces to directories; Swift modules', () => {
    const php = buildPathIndex(['app/Models/User.php', 'app/Http/Controllers/UserController.php', 'app/helpers.php']);
    expect(resolveImports('app/Http/Controllers/UserController.php', 'php', ['App\\Models\\User', 'Illuminate\\Support\\Str', '../../helpers.php'], php)).toEqual([
      'app/Models/User.php',
      'app/helpers.php',
    ]);
    const cs = buildPathIndex(['src/Acme.Shop/Models/Order.cs', 'src/Acme.Shop/Models/Item.cs', 'src/Acme.Shop/Services/PriceService.cs']);
    expect(resolveImports('src/Acme.Shop/Services/PriceService.cs', 'csharp', ['System', 'Acme.Shop.Models'], cs).sort()).toEqual([
      'src/Acme.Shop/Models/Item.cs',
      'src/Acme.Shop/Models/Order.cs',
    ]);
    const swift = buildPathIndex(['Sources/ShopCore/Cart.swift', 'Sources/ShopCore/Sub/Money.swift', 'Sources/App/main.swift']);
    expect(resolveImports('Sources/App/main.swift', 'swift', ['Foundation', 'ShopCore'], swift).sort()).toEqual([
      'Sources/ShopCore/Cart.swift',
      'Sources/ShopCore/Sub/Money.swift',
    ]);
  });

  test('languages without imports resolve nothing and malformed input does not throw', () => {
    const index = buildPathIndex(['README.md', 'a.py']);
    expect(resolveImports('README.md', 'markdown' as Language, ['./a.py'], index)).toEqual([]);
    expect(resolveImports('a.py', 'python', ['', '....', '.'.repeat(50), 'a..b'], index)).toEqual([]);
  });
});

describe('resolveImports: speed', () => {
  test('30,000 Python imports across 3,000 files resolve well under a second', () => {
    const paths: string[] = [];
    for (let a = 0; a < 30; a++) {
      paths.push(`pkg/app${a}/__init__.py`);
      for (let m = 0; m < 100; m++) paths.push(`pkg/app${a}/mod${m}.py`);
    }
    paths.push('pkg/__init__.py');
    const index = buildPathIndex(paths);
    const start = performance.now();
    let resolved = 0;
    for (let i = 0; i < 3000; i++) {
      const from = paths[i];
      const specs = Array.from({ length: 10 }, (_, j) => (j % 2 ? `pkg.app${(i + j) % 30}.mod${j}.Name` : `.mod${(i * j) % 100}`));
      resolved += resolveImports(from, 'python', specs, index).length;
    }
    const elapsed = performance.now() - start;
    expect(resolved).toBeGreaterThan(10_000);
    expect(elapsed).toBeLessThan(1000);
  });
});
