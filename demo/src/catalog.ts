// The seed's services and what their profiles look like: per-language stacks with the frame names each runtime's
// profiler reports, relative weights, and which agent path each service's SDK profiles take (issue 8's table).
// Stacks are written root first, frames separated by ';'.

export type SdkPath =
  | 'jfr' // Java agent: /ingest?format=jfr
  | 'dotnet' // .NET profiler: /ingest pprof, spyName dotnetspy
  | 'go' // pyroscope-go: /ingest multipart profile + sample_type_config, spyName gospy
  | 'python' // pyroscope-rs based: Push
  | 'rust' // pyroscope-rs: Push
  | 'nodejs'; // the real @pyroscope/nodejs SDK in a worker process

export interface Weighted {
  stack: string;
  weight: number;
  /** Request-handling code: samples here may carry a span_id when the service reports spans. */
  span?: boolean;
}

export interface ServiceDef {
  name: string;
  language: string;
  version: string;
  /** Average CPU cores used at the daily peak. */
  cores: number;
  sdk?: SdkPath;
  /** What eBPF (kernel stack sampling, Alloy pyroscope.ebpf) sees. */
  ebpf: Weighted[];
  /** SDK CPU stacks (defaults to the eBPF ones). */
  cpu?: Weighted[];
  /** SDK allocation stacks. */
  alloc?: Weighted[];
  /** Go goroutines / mutex / block, .NET locks and exceptions. */
  goroutines?: Weighted[];
  locks?: Weighted[];
  block?: Weighted[];
  exceptions?: Weighted[];
  /** The service reports spans and labels a share of its SDK CPU samples with span_id. */
  spans?: boolean;
}

const w = (prefix: string, leaves: Array<[string, number, boolean?]>): Weighted[] =>
  leaves.map(([s, weight, span]) => ({ stack: s === '' ? prefix : `${prefix};${s}`, weight, span }));

// ---- Go (checkout, product-catalog): symbolized the same by the Go runtime and by eBPF.
const GO_GRPC =
  'runtime.goexit;google.golang.org/grpc.(*Server).serveStreams.func2.1;google.golang.org/grpc.(*Server).handleStream;google.golang.org/grpc.(*Server).processUnaryRPC';
const GO_RUNTIME: Array<[string, number]> = [
  ['runtime.gcBgMarkWorker;runtime.systemstack;runtime.gcDrain;runtime.scanobject', 6],
  ['runtime.gcBgMarkWorker;runtime.systemstack;runtime.gcDrain;runtime.greyobject', 2],
  ['runtime.mcall;runtime.park_m;runtime.schedule;runtime.findRunnable;runtime.netpoll;runtime.epollwait', 4],
  ['runtime.mstart;runtime.mstart1;runtime.sysmon;runtime.usleep', 1],
];
const CHECKOUT_PLACE = `${GO_GRPC};github.com/open-telemetry/opentelemetry-demo/src/checkout/genproto/oteldemo._CheckoutService_PlaceOrder_Handler;main.(*checkout).PlaceOrder`;

/** The regression: after the switch time convertCurrency's self time doubles and sendToPostProcessor's halves. */
export const REGRESSION = {
  service: 'checkout',
  slower: 'main.(*checkout).convertCurrency',
  faster: 'main.(*checkout).sendToPostProcessor',
};

const CHECKOUT_CPU: Weighted[] = [
  ...w(CHECKOUT_PLACE, [
    [
      'main.(*checkout).prepareOrderItemsAndShippingQuoteFromCart;main.(*checkout).getUserCart;github.com/open-telemetry/opentelemetry-demo/src/checkout/genproto/oteldemo.(*cartServiceClient).GetCart;google.golang.org/grpc.(*ClientConn).Invoke;google.golang.org/grpc.invoke;google.golang.org/grpc/internal/transport.(*http2Client).Write;syscall.Syscall',
      10,
      true,
    ],
    [
      'main.(*checkout).prepareOrderItemsAndShippingQuoteFromCart;main.(*checkout).prepOrderItems;main.(*checkout).convertCurrency',
      8,
      true,
    ],
    [
      'main.(*checkout).prepareOrderItemsAndShippingQuoteFromCart;main.(*checkout).prepOrderItems;github.com/open-telemetry/opentelemetry-demo/src/checkout/genproto/oteldemo.(*productCatalogServiceClient).GetProduct;google.golang.org/grpc.(*ClientConn).Invoke;google.golang.org/protobuf/proto.MarshalOptions.marshal',
      7,
      true,
    ],
    [
      'main.(*checkout).prepareOrderItemsAndShippingQuoteFromCart;main.(*checkout).quoteShipping;net/http.(*Client).Do;net/http.(*Transport).roundTrip',
      6,
      true,
    ],
    [
      'main.(*checkout).chargeCard;google.golang.org/grpc.(*ClientConn).Invoke;google.golang.org/grpc.(*clientStream).SendMsg;runtime.mallocgc',
      5,
      true,
    ],
    [
      'main.(*checkout).sendOrderConfirmation;net/http.(*Client).Do;net/http.(*persistConn).roundTrip;runtime.selectgo',
      4,
      true,
    ],
    ['main.(*checkout).sendToPostProcessor', 16, true],
    ['main.(*checkout).sendToPostProcessor;github.com/IBM/sarama.(*asyncProducer).Input;runtime.chansend1', 3, true],
    [
      'main.(*checkout).sendToPostProcessor;google.golang.org/protobuf/proto.Marshal;google.golang.org/protobuf/internal/impl.(*MessageInfo).marshal',
      5,
      true,
    ],
  ]),
  ...w('runtime.goexit;github.com/IBM/sarama.(*asyncProducer).dispatcher;github.com/IBM/sarama.(*Broker).Produce', [
    ['github.com/IBM/sarama.(*Broker).sendAndReceive;net.(*conn).Write;syscall.write', 4],
  ]),
  ...GO_RUNTIME.map(([stack, weight]) => ({ stack, weight })),
];

const CATALOG_GET = `${GO_GRPC};github.com/open-telemetry/opentelemetry-demo/src/product-catalog/genproto/oteldemo._ProductCatalogService_GetProduct_Handler;main.(*productCatalog).GetProduct`;
const CATALOG_LIST = `${GO_GRPC};github.com/open-telemetry/opentelemetry-demo/src/product-catalog/genproto/oteldemo._ProductCatalogService_ListProducts_Handler;main.(*productCatalog).ListProducts`;
const CATALOG_CPU: Weighted[] = [
  ...w(CATALOG_GET, [
    [
      'main.(*productCatalog).checkProductFailure;github.com/open-feature/go-sdk/openfeature.(*Client).BooleanValue',
      3,
      true,
    ],
    ['main.findProduct', 9, true],
    ['google.golang.org/protobuf/proto.Clone;google.golang.org/protobuf/internal/impl.mergeMessage', 4, true],
  ]),
  ...w(CATALOG_LIST, [
    [
      'google.golang.org/protobuf/proto.MarshalOptions.marshal;google.golang.org/protobuf/internal/impl.(*MessageInfo).sizePointer',
      7,
      true,
    ],
    ['main.readProductFiles;encoding/json.Unmarshal;encoding/json.(*decodeState).object', 3],
  ]),
  ...w(
    `${GO_GRPC};github.com/open-telemetry/opentelemetry-demo/src/product-catalog/genproto/oteldemo._ProductCatalogService_SearchProducts_Handler;main.(*productCatalog).SearchProducts`,
    [
      ['strings.Contains;strings.Index;internal/bytealg.IndexString', 6, true],
      ['strings.ToLower', 3, true],
    ]
  ),
  ...GO_RUNTIME.map(([stack, weight]) => ({ stack, weight })),
];

const goAlloc = (handler: string, leaves: Array<[string, number]>): Weighted[] => w(handler, leaves);
const CHECKOUT_ALLOC = [
  ...goAlloc(CHECKOUT_PLACE, [
    [
      'main.(*checkout).prepareOrderItemsAndShippingQuoteFromCart;main.(*checkout).prepOrderItems;runtime.makeslice;runtime.mallocgc',
      6,
    ],
    [
      'main.(*checkout).sendToPostProcessor;google.golang.org/protobuf/proto.Marshal;runtime.growslice;runtime.mallocgc',
      5,
    ],
    ['main.(*checkout).sendOrderConfirmation;encoding/json.Marshal;bytes.(*Buffer).grow;runtime.mallocgc', 3],
  ]),
  ...goAlloc('runtime.goexit;google.golang.org/grpc/internal/transport.newHTTP2Server.func2', [
    [
      'google.golang.org/grpc/internal/transport.(*loopyWriter).run;golang.org/x/net/http2.(*Framer).WriteData;runtime.mallocgc',
      2,
    ],
  ]),
];
const CATALOG_ALLOC = [
  ...goAlloc(CATALOG_LIST, [
    ['google.golang.org/protobuf/proto.MarshalOptions.marshal;runtime.makeslice;runtime.mallocgc', 8],
  ]),
  ...goAlloc(CATALOG_GET, [['google.golang.org/protobuf/proto.Clone;reflect.New;runtime.mallocgc', 4]]),
  ...goAlloc('runtime.goexit;main.main.func1;main.readProductFiles', [
    ['os.ReadFile;runtime.makeslice;runtime.mallocgc', 2],
  ]),
];
const goGoroutines = (svc: string): Weighted[] => [
  ...w('runtime.goexit', [
    [
      'google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams;golang.org/x/net/http2.(*Framer).ReadFrame;io.ReadAtLeast;net.(*conn).Read;runtime.gopark',
      24,
    ],
    ['google.golang.org/grpc/internal/transport.(*controlBuffer).get;runtime.selectgo;runtime.gopark', 24],
    ['go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue;runtime.selectgo;runtime.gopark', 2],
    [`main.main;google.golang.org/grpc.(*Server).Serve;net.(*TCPListener).Accept;runtime.gopark`, 1],
    ['net/http.(*persistConn).readLoop;runtime.selectgo;runtime.gopark', svc === 'checkout' ? 12 : 2],
    ['net/http.(*persistConn).writeLoop;runtime.selectgo;runtime.gopark', svc === 'checkout' ? 12 : 2],
  ]),
];
const goMutex = (svc: string): Weighted[] =>
  w('runtime.goexit', [
    ['go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).OnEnd;sync.(*Mutex).Unlock', 5],
    [
      'google.golang.org/grpc.(*ClientConn).getTransport;google.golang.org/grpc.(*pickerWrapper).pick;sync.(*Mutex).Unlock',
      3,
    ],
    [
      svc === 'checkout'
        ? 'github.com/IBM/sarama.(*asyncProducer).dispatcher;sync.(*Mutex).Unlock'
        : 'main.(*productCatalog).ListProducts;sync.(*RWMutex).RUnlock',
      4,
    ],
  ]);
const goBlock = (svc: string): Weighted[] =>
  w('runtime.goexit', [
    ['google.golang.org/grpc/internal/transport.(*controlBuffer).get;runtime.selectgo', 10],
    ['net/http.(*persistConn).roundTrip;runtime.selectgo', svc === 'checkout' ? 6 : 1],
    ['go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue;runtime.selectgo', 3],
    ['sync.(*WaitGroup).Wait;runtime.semacquire1', 2],
  ]);

// ---- Java (ad) and Kotlin (fraud-detection): Java frames as JFR names them (package/Class.method).
const AD_GET =
  'java/lang/Thread.run;java/util/concurrent/ThreadPoolExecutor$Worker.run;java/util/concurrent/ThreadPoolExecutor.runWorker;io/grpc/internal/SerializingExecutor.run;io/grpc/internal/ServerImpl$JumpToApplicationThreadServerStreamListener$1HalfClosed.runInContext;io/grpc/stub/ServerCalls$UnaryServerCallHandler$UnaryServerCallListener.onHalfClose;oteldemo/AdService$AdServiceImpl.getAds';
const AD_CPU: Weighted[] = [
  ...w(AD_GET, [
    ['oteldemo/AdService.getAdsByCategory;com/google/common/collect/ArrayListMultimap.get', 6],
    ['oteldemo/AdService.getRandomAds;java/util/Random.nextInt', 5],
    ['oteldemo/AdService.getRandomAds;java/util/ArrayList.add', 3],
    ['dev/openfeature/sdk/OpenFeatureClient.getBooleanValue;dev/openfeature/sdk/OpenFeatureClient.evaluateFlag', 4],
    ['io/opentelemetry/api/trace/Span.setAttribute;io/opentelemetry/sdk/trace/SdkSpan.setAttribute', 2],
    [
      'io/grpc/stub/ServerCalls$ServerCallStreamObserverImpl.onNext;io/grpc/internal/ServerCallImpl.sendMessage;com/google/protobuf/AbstractMessageLite.writeTo',
      5,
    ],
  ]),
  ...w(
    'java/lang/Thread.run;io/netty/util/concurrent/FastThreadLocalRunnable.run;io/netty/util/internal/ThreadExecutorMap$2.run;io/netty/channel/nio/NioEventLoop.run',
    [
      [
        'io/netty/channel/nio/NioEventLoop.processSelectedKeys;io/netty/channel/nio/AbstractNioByteChannel$NioByteUnsafe.read;io/netty/handler/codec/http2/Http2ConnectionHandler.decode',
        6,
      ],
      ['io/netty/channel/nio/NioEventLoop.select;sun/nio/ch/EPollSelectorImpl.doSelect;sun/nio/ch/EPoll.wait', 3],
    ]
  ),
  ...w('java/lang/Thread.run;io/opentelemetry/sdk/trace/export/BatchSpanProcessor$Worker.run', [
    [
      'io/opentelemetry/sdk/trace/export/BatchSpanProcessor$Worker.exportCurrentBatch;io/opentelemetry/exporter/internal/marshal/Marshaler.writeBinaryTo',
      2,
    ],
  ]),
];
const AD_ALLOC: Weighted[] = [
  ...w(AD_GET, [
    ['oteldemo/AdService.getRandomAds;java/util/ArrayList.grow', 5],
    ['oteldemo/AdService.getAdsByCategory;com/google/common/collect/ImmutableList.copyOf', 3],
    [
      'io/grpc/stub/ServerCalls$ServerCallStreamObserverImpl.onNext;com/google/protobuf/AbstractMessageLite.toByteArray',
      4,
    ],
  ]),
  ...w(
    'java/lang/Thread.run;io/netty/util/concurrent/FastThreadLocalRunnable.run;io/netty/channel/nio/NioEventLoop.run',
    [['io/netty/buffer/PooledByteBufAllocator.newDirectBuffer;io/netty/buffer/PoolArena.allocate', 3]]
  ),
];
/** eBPF sees a JVM as native frames: the interpreter and JIT-compiled code show up unsymbolized. */
const jvmNative = (app: Weighted[]): Weighted[] => [
  ...app.map((s) => ({
    stack: `java;start_thread;thread_native_entry;JavaThread::thread_main_inner;JavaCalls::call_helper;${s.stack}`,
    weight: s.weight,
  })),
  {
    stack: 'java;start_thread;thread_native_entry;GCTaskThread::run;G1ParTask::work;G1ParScanThreadState::trim_queue',
    weight: 4,
  },
  {
    stack:
      'java;start_thread;thread_native_entry;CompileBroker::compiler_thread_loop;C2Compiler::compile_method;Compile::Compile',
    weight: 3,
  },
];
const FRAUD: Weighted[] = w(
  'java/lang/Thread.run;org/apache/kafka/clients/consumer/KafkaConsumer.poll;frauddetection/MainKt.main',
  [
    [
      'frauddetection/MainKt$main$1.invoke;frauddetection/FraudDetector.score;kotlin/collections/CollectionsKt.sumOfDouble',
      8,
    ],
    [
      'frauddetection/MainKt$main$1.invoke;oteldemo/Demo$OrderResult.parseFrom;com/google/protobuf/CodedInputStream.readMessage',
      5,
    ],
    [
      'org/apache/kafka/clients/consumer/internals/Fetcher.collectFetch;org/apache/kafka/common/record/DefaultRecordBatch.iterator',
      6,
    ],
    ['org/apache/kafka/clients/NetworkClient.poll;sun/nio/ch/EPoll.wait', 3],
  ]
);

// ---- .NET (cart): CoreCLR frames as the Pyroscope .NET profiler names them.
const CART_HANDLER =
  'System.Threading.ThreadPoolWorkQueue.Dispatch;System.Threading.Tasks.Task.ExecuteWithThreadLocal;Grpc.AspNetCore.Server.Internal.CallHandlers.UnaryServerCallHandler`3.HandleCallAsyncCore';
const CART_CPU: Weighted[] = [
  ...w(`${CART_HANDLER};cart.services.CartService.GetCart`, [
    ['cart.cartstore.ValkeyCartStore.GetCartAsync;StackExchange.Redis.ConnectionMultiplexer.ExecuteAsyncImpl', 7, true],
    ['cart.cartstore.ValkeyCartStore.GetCartAsync;Google.Protobuf.MessageParser`1.ParseFrom', 5, true],
  ]),
  ...w(`${CART_HANDLER};cart.services.CartService.AddItem`, [
    ['cart.cartstore.ValkeyCartStore.AddItemAsync;StackExchange.Redis.RedisDatabase.HashSetAsync', 6, true],
    ['cart.cartstore.ValkeyCartStore.AddItemAsync;Google.Protobuf.MessageExtensions.ToByteArray', 4, true],
  ]),
  ...w(`${CART_HANDLER};cart.services.CartService.EmptyCart`, [
    ['cart.cartstore.ValkeyCartStore.EmptyCartAsync;StackExchange.Redis.RedisDatabase.HashSetAsync', 2, true],
  ]),
  ...w('System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart', [
    ['System.Threading.LowLevelLifoSemaphore.WaitForSignal', 3],
  ]),
  ...w('Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.Internal.SocketConnection.DoReceive', [
    ['System.Net.Sockets.SocketAsyncEngine.EventLoop', 3],
  ]),
];
const CART_ALLOC: Weighted[] = [
  ...w(`${CART_HANDLER};cart.services.CartService.GetCart`, [
    ['Google.Protobuf.MessageParser`1.ParseFrom;System.Byte[]', 6],
  ]),
  ...w(`${CART_HANDLER};cart.services.CartService.AddItem`, [
    ['Google.Protobuf.MessageExtensions.ToByteArray;System.Byte[]', 4],
  ]),
  ...w('StackExchange.Redis.PhysicalConnection.ReadFromPipe', [['System.String', 3]]),
];
const CART_LOCKS: Weighted[] = w('StackExchange.Redis.ConnectionMultiplexer.ExecuteAsyncImpl', [
  ['StackExchange.Redis.PhysicalBridge.TryWriteAsync;System.Threading.Monitor.Enter', 5],
  ['StackExchange.Redis.ServerSelectionStrategy.Select;System.Threading.Monitor.Enter', 2],
]);
const CART_EXCEPTIONS: Weighted[] = w(`${CART_HANDLER};cart.services.CartService.GetCart`, [
  ['cart.cartstore.ValkeyCartStore.GetCartAsync;StackExchange.Redis.RedisTimeoutException', 1],
  ['cart.services.CartService.GetCart;Grpc.Core.RpcException', 2],
]);

// ---- Python (recommendation): py-spy style "<file> <function>" frames.
const PY =
  'threading.py _bootstrap;threading.py _bootstrap_inner;threading.py run;concurrent/futures/thread.py _worker;grpc/_server.py _unary_response_in_pool';
const RECO_CPU: Weighted[] = w(`${PY};recommendation_server.py ListRecommendations`, [
  ['recommendation_server.py get_product_list;demo_pb2_grpc.py ListProducts;grpc/_channel.py __call__', 7, true],
  ['recommendation_server.py get_product_list;random.py sample', 4, true],
  ['recommendation_server.py get_product_list;recommendation_server.py <listcomp>', 6, true],
  ['openfeature/client.py get_boolean_value;openfeature/client.py evaluate_flag_details', 2, true],
  ['opentelemetry/sdk/trace/__init__.py end;opentelemetry/sdk/trace/export/__init__.py on_end', 2],
]);
const RECO_ALLOC: Weighted[] = w(`${PY};recommendation_server.py ListRecommendations`, [
  ['recommendation_server.py get_product_list;google/protobuf/internal/python_message.py _InternalParse', 6],
  ['recommendation_server.py get_product_list;recommendation_server.py <listcomp>', 3],
]);

// ---- Rust (shipping): demangled Rust symbols.
const RUST =
  'std::sys::pal::unix::thread::Thread::new::thread_start;tokio::runtime::scheduler::multi_thread::worker::run;tokio::runtime::task::harness::Harness<T,S>::poll';
const SHIPPING_CPU: Weighted[] = w(`${RUST};actix_http::h1::dispatcher::Dispatcher<T,S,B,X,U>::poll`, [
  [
    'shipping::shipping_service::get_quote;shipping::shipping_service::quote::create_quote_from_count;reqwest::async_impl::client::Client::execute',
    6,
    true,
  ],
  ['shipping::shipping_service::get_quote;serde_json::de::from_slice', 3, true],
  [
    'shipping::shipping_service::ship_order;shipping::shipping_service::tracking::create_tracking_id;uuid::v4::Uuid::new_v4',
    2,
    true,
  ],
  ['shipping::shipping_service::ship_order;serde_json::ser::to_vec', 2, true],
  ['actix_http::h1::codec::Codec::decode;httparse::Request::parse', 3],
]);

// ---- eBPF-only runtimes: native symbols, plus the interpreters' own frames where eBPF can unwind them.
const RUBY = w('ruby;start_thread;thread_start_func_2;rb_vm_exec;vm_exec_core', [
  [
    'email_server.rb block in <main>;sinatra/base.rb call!;sinatra/base.rb dispatch!;email_server.rb send_email;mail/message.rb deliver',
    6,
  ],
  ['email_server.rb send_email;slim/template.rb render;temple/engine.rb call', 5],
  ['puma/server.rb process_client;puma/request.rb handle_request', 3],
  ['opentelemetry/sdk/trace/export/batch_span_processor.rb export_batch', 1],
]);
const CPP = w('currency;start_thread;grpc::ThreadManager::WorkerThread::Run;grpc::ThreadManager::MainWorkLoop', [
  ['grpc::Server::SyncRequest::Run;CurrencyService::Convert;getCurrencyData;std::map<std::string,double>::find', 6],
  ['grpc::Server::SyncRequest::Run;CurrencyService::Convert;std::__cxx11::to_string', 2],
  ['grpc::Server::SyncRequest::Run;CurrencyService::GetSupportedCurrencies;google::protobuf::RepeatedPtrField::Add', 3],
  ['grpc_completion_queue_next;epoll_wait', 3],
]);
const PHP = w('php-fpm;main;php_execute_script;zend_execute_scripts;execute_ex', [
  ['Slim\\App::handle;App\\Application\\Actions\\QuoteAction::action;calculateQuote;number_format', 5],
  ['Slim\\App::handle;Slim\\Routing\\RouteRunner::handle;Slim\\MiddlewareDispatcher::handle', 3],
  ['OpenTelemetry\\SDK\\Trace\\SpanProcessor\\BatchSpanProcessor::onEnd', 2],
  ['zend_compile_file;compile_file', 1],
]);
const ENVOY = w(
  'envoy;start_thread;Envoy::Thread::ThreadImplPosix::ThreadImplPosix;Envoy::Server::WorkerImpl::threadRoutine;Envoy::Event::DispatcherImpl::run;event_base_loop',
  [
    [
      'Envoy::Network::ConnectionImpl::onReadReady;Envoy::Http::Http1::ServerConnectionImpl::onMessageComplete;Envoy::Router::Filter::decodeHeaders',
      9,
    ],
    ['Envoy::Network::ConnectionImpl::onWriteReady;Envoy::Network::IoSocketHandleImpl::writev;__writev', 5],
    ['Envoy::Network::ConnectionImpl::onReadReady;Envoy::Http::Http1::ConnectionImpl::dispatch;llhttp_execute', 6],
    ['Envoy::Extensions::TransportSockets::Tls::SslSocket::doRead;SSL_read;aes_gcm_dec_update', 3],
  ]
);
const nodeNative = (app: string, leaves: Array<[string, number]>): Weighted[] =>
  w(`node;uv_run;uv__io_poll;node::InternalCallbackScope::Close;v8::internal::Execution::Call;${app}`, leaves);

const withKernel = (stacks: Weighted[], binary: string): Weighted[] => [
  ...stacks,
  { stack: `${binary};entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_epoll_wait;do_epoll_wait`, weight: 1 },
];

export const SERVICES: ServiceDef[] = [
  {
    name: 'ad',
    language: 'java',
    version: '2.0.2',
    cores: 0.4,
    sdk: 'jfr',
    ebpf: jvmNative(AD_CPU),
    cpu: AD_CPU,
    alloc: AD_ALLOC,
  },
  {
    name: 'cart',
    language: 'dotnet',
    version: '2.0.2',
    cores: 0.3,
    sdk: 'dotnet',
    ebpf: withKernel(
      CART_CPU.map((s) => ({ ...s, stack: `dotnet;${s.stack}` })),
      'dotnet'
    ),
    cpu: CART_CPU,
    alloc: CART_ALLOC,
    locks: CART_LOCKS,
    exceptions: CART_EXCEPTIONS,
    spans: true,
  },
  {
    name: 'checkout',
    language: 'go',
    version: '2.0.2',
    cores: 0.2,
    sdk: 'go',
    ebpf: CHECKOUT_CPU,
    alloc: CHECKOUT_ALLOC,
    goroutines: goGoroutines('checkout'),
    locks: goMutex('checkout'),
    block: goBlock('checkout'),
    spans: true,
  },
  {
    name: 'product-catalog',
    language: 'go',
    version: '2.0.2',
    cores: 0.15,
    sdk: 'go',
    ebpf: CATALOG_CPU,
    alloc: CATALOG_ALLOC,
    goroutines: goGoroutines('product-catalog'),
    locks: goMutex('product-catalog'),
    block: goBlock('product-catalog'),
    spans: true,
  },
  {
    name: 'recommendation',
    language: 'python',
    version: '2.0.2',
    cores: 0.25,
    sdk: 'python',
    ebpf: withKernel(
      RECO_CPU.map((s) => ({ ...s, stack: `python3.12;${s.stack}` })),
      'python3.12'
    ),
    cpu: RECO_CPU,
    alloc: RECO_ALLOC,
    spans: true,
  },
  {
    name: 'frontend',
    language: 'nodejs',
    version: '2.0.2',
    cores: 0.25,
    sdk: 'nodejs',
    ebpf: nodeNative('next-server (v14)', [
      ['renderToHTML;renderToReadableStream;[unknown]', 6],
      ['handleRequest;ProductCatalogService.ListProducts;[unknown]', 4],
      ['v8::internal::Heap::CollectGarbage;v8::internal::MarkCompactCollector::CollectGarbage', 2],
    ]),
  },
  {
    name: 'payment',
    language: 'nodejs',
    version: '2.0.2',
    cores: 0.1,
    sdk: 'nodejs',
    ebpf: nodeNative('charge.js', [
      ['chargeServiceHandler;charge;cardValidator;[unknown]', 5],
      ['chargeServiceHandler;charge;uuidv4;crypto::RandomBytesJob', 2],
      ['v8::internal::Heap::CollectGarbage;v8::internal::Scavenger::ScavengePage', 1],
    ]),
  },
  {
    name: 'shipping',
    language: 'rust',
    version: '2.0.2',
    cores: 0.05,
    sdk: 'rust',
    ebpf: withKernel(
      SHIPPING_CPU.map((s) => ({ ...s, stack: `shipping;${s.stack}` })),
      'shipping'
    ),
    cpu: SHIPPING_CPU,
    spans: true,
  },
  { name: 'email', language: 'ruby', version: '2.0.2', cores: 0.08, ebpf: withKernel(RUBY, 'ruby') },
  { name: 'currency', language: 'cpp', version: '2.0.2', cores: 0.06, ebpf: withKernel(CPP, 'currency') },
  { name: 'quote', language: 'php', version: '2.0.2', cores: 0.05, ebpf: withKernel(PHP, 'php-fpm') },
  { name: 'fraud-detection', language: 'kotlin', version: '2.0.2', cores: 0.3, ebpf: jvmNative(FRAUD) },
  { name: 'frontend-proxy', language: 'envoy', version: '1.32.3', cores: 0.35, ebpf: withKernel(ENVOY, 'envoy') },
];

/**
 * The profile types each service reports (ids as `Series` returns them), by where they come from: eBPF gives
 * every service process_cpu; the SDKs add theirs. The Node.js SDK decides its own, listed as it sends them.
 */
export function expectedProfileTypes(s: ServiceDef): string[] {
  const cpu = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
  switch (s.sdk) {
    case 'jfr':
      return [
        cpu,
        'memory:alloc_in_new_tlab_objects:count:space:bytes',
        'memory:alloc_in_new_tlab_bytes:bytes:space:bytes',
      ];
    case 'dotnet':
      return [
        cpu,
        'process_cpu:alloc_samples:count:cpu:nanoseconds',
        'process_cpu:alloc_size:bytes:cpu:nanoseconds',
        'process_cpu:lock_count:count:cpu:nanoseconds',
        'process_cpu:lock_time:nanoseconds:cpu:nanoseconds',
        'process_cpu:exception:count:cpu:nanoseconds',
      ];
    case 'go':
      return [
        cpu,
        'process_cpu:samples:count:cpu:nanoseconds',
        'memory:alloc_objects:count:space:bytes',
        'memory:alloc_space:bytes:space:bytes',
        'memory:inuse_objects:count:space:bytes',
        'memory:inuse_space:bytes:space:bytes',
        'goroutines:goroutine:count:goroutine:count',
        'mutex:contentions:count:contentions:count',
        'mutex:delay:nanoseconds:contentions:count',
        'block:contentions:count:contentions:count',
        'block:delay:nanoseconds:contentions:count',
      ];
    case 'python':
      return [cpu, 'memory:alloc_objects:count:space:bytes', 'memory:alloc_space:bytes:space:bytes'];
    case 'nodejs':
      return [cpu, 'wall:wall:nanoseconds:wall:nanoseconds', 'memory:inuse_space:bytes:inuse_space:bytes'];
    default:
      return [cpu];
  }
}
