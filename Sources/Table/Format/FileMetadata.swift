// The parts of parquet.thrift's metadata this library writes and reads. Field ids are in the
// encoding and decoding extensions beside this file.

struct FileMetadata {
    var version: Int32 = 1
    var schema: [SchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RowGroupMetadata] = []
    var keyValueMetadata: [KeyValue] = []
    var createdBy: String?
    /// Number of TypeDefinedOrder entries in `column_orders` (one per leaf column when written).
    var columnOrderCount = 0
}

struct SchemaElement {
    var type: PhysicalType?
    var typeLength: Int32?
    var repetition: Repetition?
    var name: String = ""
    var numChildren: Int32?
    var convertedType: Int32?
    var logicalType: LogicalType?
}

struct RowGroupMetadata {
    var columns: [ColumnChunkMetadata] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
    var fileOffset: Int64?
    var totalCompressedSize: Int64?
    var ordinal: Int16?
}

struct ColumnChunkMetadata {
    var filePath: String?
    var type: PhysicalType = .boolean
    var encodings: [Encoding] = []
    var pathInSchema: [String] = []
    var codec: CompressionCodec = .uncompressed
    var numValues: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
    var statistics: StatisticsMetadata?
    /// Whether the chunk had a `meta_data` struct at all (writers must write it; readers check).
    var hasMetadata = false
}

struct StatisticsMetadata: Equatable {
    var nullCount: Int64?
    var minValue: [UInt8]?
    var maxValue: [UInt8]?
}

struct PageHeader {
    var type: PageType = .dataPage
    var uncompressedPageSize: Int32 = 0
    var compressedPageSize: Int32 = 0
    var dataPage: DataPageHeader?
    var dictionaryPage: DictionaryPageHeader?
    var dataPageV2: DataPageHeaderV2?
}

struct DataPageHeader {
    var numValues: Int32 = 0
    var encoding: Encoding = .plain
    var definitionLevelEncoding: Encoding = .rle
    var repetitionLevelEncoding: Encoding = .rle
}

struct DictionaryPageHeader {
    var numValues: Int32 = 0
    var encoding: Encoding = .plain
}

struct DataPageHeaderV2 {
    var numValues: Int32 = 0
    var numNulls: Int32 = 0
    var numRows: Int32 = 0
    var encoding: Encoding = .plain
    var definitionLevelsByteLength: Int32 = 0
    var repetitionLevelsByteLength: Int32 = 0
    var isCompressed = true
}
